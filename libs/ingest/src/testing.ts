// Test and simulator helpers: simulated devices that speak each TCP protocol (the inverse of the
// decoders), for decoder tests, the gateway's tests and tools/tracker-sim.
export {};
