/** User-mode networking for Typevisor: see README.md in this folder. */
export type { NetBackend } from './backend.js';
export { UserNetwork, GATEWAY_IP, DNS_IP, FIRST_GUEST_IP, GATEWAY_MAC, systemNameserver } from './user-network.js';
export type { UserNetworkConfig, ForwardInfo, UserNetworkStats } from './user-network.js';
export { parseUserNetOptions, parseHostForward, NetOptionError } from './options.js';
export type { UserNetOptions, HostForward } from './options.js';
export { TcpConnection } from './tcp-connection.js';
export type { TcpConnectionConfig, TcpConnectionEvents, TcpState, TcpCloseReason, TcpTimers } from './tcp-connection.js';
export { completeChecksum } from './offload.js';
export { DropCounter } from './bytes.js';
