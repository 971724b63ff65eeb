// The Go programs of the integration tests, built by the tests themselves
// (CGO_ENABLED=0, standard library only: nothing to download).
module fdbroker.test/go

go 1.19
