package pipeline

// The pipeline runs every finding of the study: importing analyses/all
// registers the five with the analyses registry.
import _ "github.com/ifprobe/ifprobe/analyses/all"
