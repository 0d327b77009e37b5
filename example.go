package shakwa

import _ "embed"

// ExampleConfig is config.example.yaml, built in so that `shakwa demo`
// runs anywhere with no file at hand.
//
//go:embed config.example.yaml
var ExampleConfig []byte
