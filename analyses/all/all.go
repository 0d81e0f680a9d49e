// Package all registers the study's five findings with the analyses registry.
// Import it for its side effect:
//
//	import _ "github.com/ifprobe/ifprobe/analyses/all"
//
// A sixth finding is one new package that calls analyses.Register in its init
// function, and one import line here.
package all

import (
	_ "github.com/ifprobe/ifprobe/analyses/ablation"
	_ "github.com/ifprobe/ifprobe/analyses/layers"
	_ "github.com/ifprobe/ifprobe/analyses/specialist"
	_ "github.com/ifprobe/ifprobe/analyses/temporal"
	_ "github.com/ifprobe/ifprobe/analyses/transfer"
)
