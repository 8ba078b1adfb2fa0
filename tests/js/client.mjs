// What the client-js drivers share: a MastraClient for BASE_URL and TOKEN, and errors as data.
import { MastraClient } from "@mastra/client-js";

export function makeClient(baseUrl, token) {
  return new MastraClient({ baseUrl, headers: { Authorization: `Bearer ${token}` }, retries: 0 });
}

// The status and message of a failed call (null if it succeeded).
export async function errorOf(promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return { status: err.status ?? null, message: String(err.message) };
  }
}
