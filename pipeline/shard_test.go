package pipeline

import (
	"testing"

	"github.com/ifprobe/ifprobe/internal/shard"
)

// TestShardOf: a sharded run splits only its own stage; a shard needs a stage.
func TestShardOf(t *testing.T) {
	part := shard.Shard{Index: 1, Count: 4}
	cfg := Config{Shard: part, Stage: StageGrid}
	if err := cfg.checkShard(); err != nil {
		t.Fatal(err)
	}
	if cfg.shardOf(StageDataset) != (shard.Shard{}) || cfg.shardOf(StageGrid) != part {
		t.Errorf("grid stage: dataset %v, grid %v", cfg.shardOf(StageDataset), cfg.shardOf(StageGrid))
	}
	if err := (Config{Shard: part}).checkShard(); err == nil {
		t.Error("a shard without a stage: no error")
	}
	if err := (Config{Shard: shard.Shard{Index: 4, Count: 4}, Stage: StageDataset}).checkShard(); err == nil {
		t.Error("shard 4/4: no error")
	}
	if err := (Config{}).checkShard(); err != nil {
		t.Errorf("the whole run: %v", err)
	}
	if _, err := ParseStage("report"); err == nil {
		t.Error(`ParseStage("report"): no error`)
	}
}
