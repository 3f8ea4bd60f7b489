/** Runs `fn` with everything written to `stream` captured; returns its result and the text. */
export async function captureOutput<T>(
  stream: NodeJS.WriteStream,
  fn: () => Promise<T>,
): Promise<{ result: T; text: string }> {
  const write = stream.write.bind(stream);
  let text = "";
  stream.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof stream.write;
  try {
    return { result: await fn(), text };
  } finally {
    stream.write = write;
  }
}
