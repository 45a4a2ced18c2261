// The integration test harness: real redis-server / redis-sentinel / vigil-sentinel processes on
// free loopback ports in temp dirs, condition waits with deadlines, continuous writers, and a
// cleanup registry that stops everything even when a test fails.
export * from './cleanup.js';
export * from './cluster.js';
export * from './group.js';
export * from './managed-process.js';
export * from './ports.js';
export * from './redis-server.js';
export * from './resp.js';
export * from './sentinel-process.js';
export * from './wait.js';
export * from './writer.js';
export * from './vigil-cli.js';
