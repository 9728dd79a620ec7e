// Package alusta holds alusta's domain-level embedded data: the demo seed
// the sandbox loads with --seed demo. The code lives in the packages below
// it (connector/hubspot, connector/sandbox, ...); this root package holds
// only what several of them share and what must be embedded from the
// repository's testdata folder, which go:embed cannot reach from a
// subpackage.
package alusta

import (
	"embed"
	"io/fs"
)

//go:embed testdata/demo/*.json
var demo embed.FS

// DemoSeed returns the demo seed's static data (owners.json,
// pipelines.json, properties.json, providers.json, ngos.json, texts.json); the
// sandbox generates the bulk records from it with a fixed seed.
func DemoSeed() fs.FS {
	sub, err := fs.Sub(demo, "testdata/demo")
	if err != nil {
		// fs.Sub fails only on an invalid path, and this one is a constant.
		panic(err)
	}
	return sub
}
