/**
 * The text to show for a failure: an ApiError's message (the server's own words), any other Error's
 * message, or the thrown value itself. The one place the web turns a caught value into words.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
