/** What a network device (virtio-net) plugs into: Ethernet frames in both directions. */
export interface NetBackend {
  /** A frame from the guest (guest -> host). Never throws; bad frames are counted and dropped. */
  send(frame: Uint8Array): void;
  /** Registers the receiver of frames for the guest (host -> guest). */
  onReceive(cb: (frame: Uint8Array) => void): void;
  /** Releases every host resource (sockets, listeners, timers). */
  close(): void;
}
