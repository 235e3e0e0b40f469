package store

// SetBatchSizes shrinks the drafting chunk and the release batch so that
// tests with a few artisans go through many bounded steps; it returns the
// function that restores them.
func SetBatchSizes(draft, release int) func() {
	d, r := draftChunk, releaseBatch
	draftChunk, releaseBatch = draft, release
	return func() { draftChunk, releaseBatch = d, r }
}
