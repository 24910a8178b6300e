/** The one error type snapshot reading and validation throw: the message says what is wrong and where. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}
