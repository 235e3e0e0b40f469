//go:build race

package main

// raceDetector: this test binary runs under the race detector, which
// makes CPU-bound work (the demo's photos are drawn, resized and encoded)
// several times slower.
const raceDetector = true
