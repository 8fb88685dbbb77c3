import { networkInterfaces } from 'node:os';

/**
 * The address that listens on every interface: '::' (IPv6 and IPv4 on one socket) where the
 * host has IPv6, else '0.0.0.0', since '::' fails where IPv6 is switched off. Fastify's own
 * default is localhost only, out of reach of a container's published port and of probes.
 */
export function everyInterface(): string {
  const hasIpv6 = Object.values(networkInterfaces()).some((addresses) => addresses?.some((a) => a.family === 'IPv6'));
  return hasIpv6 ? '::' : '0.0.0.0';
}
