package dataset

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/internal/faultinject"
	"github.com/ifprobe/ifprobe/internal/membudget"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

func TestPlanShape(t *testing.T) {
	bases, _ := tasks.BaseRequests()
	items, err := Plan(Config{PerTask: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := 9*40 + len(bases); len(items) != want {
		t.Fatalf("%d items, want %d", len(items), want)
	}
	ids := map[string]bool{}
	foldOf := map[string]int{}
	perTask := map[string]int{}
	controls := map[string]bool{}
	foldSize := map[int]int{}
	for _, it := range items {
		if ids[it.ID] {
			t.Fatalf("duplicate id %s", it.ID)
		}
		ids[it.ID] = true
		if f, ok := foldOf[it.BaseID]; ok && f != it.Fold {
			t.Fatalf("base %s in folds %d and %d", it.BaseID, f, it.Fold)
		}
		foldOf[it.BaseID] = it.Fold
		if (it.Fold == 0) != (it.Split == "test") {
			t.Fatalf("%s: fold %d but split %s", it.ID, it.Fold, it.Split)
		}
		if !strings.HasPrefix(it.Prompt, it.Base) || !strings.HasSuffix(it.Prompt, it.Instruction) {
			t.Fatalf("%s: prompt %q is not base + instruction", it.ID, it.Prompt)
		}
		if it.Task == Control {
			controls[it.BaseID] = true
			foldSize[it.Fold]++
			if it.Instruction != "" || it.Prompt != it.Base {
				t.Fatalf("control %s carries an instruction", it.ID)
			}
			continue
		}
		perTask[it.Task]++
		if _, err := tasks.Verify(it.Task, "", it.Params); err != nil {
			t.Fatalf("%s: params %v do not verify: %v", it.ID, it.Params, err)
		}
		if m := it.Messages(); len(m) != 1 || m[0].Role != "user" || m[0].Content != it.Prompt {
			t.Fatalf("%s: messages %v", it.ID, m)
		}
	}
	for _, n := range tasks.Names() {
		if perTask[n] != 40 {
			t.Errorf("task %s: %d items", n, perTask[n])
		}
	}
	if len(controls) != len(bases) {
		t.Errorf("%d controls, want one per base request (%d)", len(controls), len(bases))
	}
	for f, n := range foldSize {
		if n < len(bases)/DefaultFolds || n > len(bases)/DefaultFolds+1 {
			t.Errorf("fold %d has %d base requests", f, n)
		}
	}
}

func TestPlanDeterministic(t *testing.T) {
	a, _ := Plan(Config{PerTask: 12, Seed: 9})
	b, _ := Plan(Config{PerTask: 12, Seed: 9})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same config, different plans")
	}
	c, _ := Plan(Config{PerTask: 12, Seed: 10})
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same plan")
	}
	// A task's items do not depend on which other tasks are planned.
	only, _ := Plan(Config{Tasks: []string{"topic"}, PerTask: 12, Seed: 9, NoControls: true})
	var fromAll []Item
	for _, it := range a {
		if it.Task == "topic" {
			fromAll = append(fromAll, it)
		}
	}
	if !reflect.DeepEqual(only, fromAll) {
		t.Fatal("topic items change when other tasks are planned")
	}
}

func TestPlanSpaceAndErrors(t *testing.T) {
	items, err := Plan(Config{Tasks: []string{"word_limit"}, PerTask: 30, Seed: 2, NoControls: true,
		Space: map[string]tasks.Space{"word_limit": {"n": {Min: 10, Max: 11}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if n := it.Params.Int("n"); n < 10 || n > 11 {
			t.Fatalf("n = %d outside the configured domain", n)
		}
	}
	for i, cfg := range []Config{
		{PerTask: 0},
		{PerTask: 1, Tasks: []string{"nope"}},
		{PerTask: 1, Tasks: []string{"topic", "topic"}},
		{PerTask: 1, Folds: 1},
		{PerTask: 1, Folds: 5, TestFold: 5},
		{PerTask: 1, Folds: 1000},
	} {
		if _, err := Plan(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%d: Plan(%+v) = %v, want ErrBadConfig", i, cfg, err)
		}
	}
	if _, err := Plan(Config{PerTask: 1, Space: map[string]tasks.Space{"word_limit": {"n": {Min: 5, Max: 1}}}}); !errors.Is(err, tasks.ErrBadParams) {
		t.Errorf("empty domain: err = %v", err)
	}
}

func TestWriterResume(t *testing.T) {
	items, _ := Plan(Config{Tasks: []string{"word_limit", "lowercase"}, PerTask: 3, Seed: 4})
	path := filepath.Join(t.TempDir(), "dataset.jsonl")
	w, err := OpenWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items[:4] {
		r, err := NewRecord(it, "a short answer", "test-model")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	r0, _ := NewRecord(items[0], "again", "m")
	if err := w.Append(r0); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate append: err = %v", err)
	}
	w.Close()
	// A crash mid-write leaves a torn last line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"lowercase-0002","respo`)
	f.Close()

	w, err = OpenWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	if w.Len() != 4 || !w.Has(items[3].ID) || w.Has(items[4].ID) {
		t.Fatalf("after reopen: %d records", w.Len())
	}
	pending := w.Pending(items)
	if len(pending) != len(items)-4 || pending[0].ID != items[4].ID {
		t.Fatalf("pending = %d items starting %s", len(pending), pending[0].ID)
	}
	for _, it := range pending {
		r, err := NewRecord(it, "Another Answer", "test-model")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	recs, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(items) {
		t.Fatalf("read %d records, want %d", len(recs), len(items))
	}
	for i, r := range recs {
		if r.ID != items[i].ID {
			t.Fatalf("record %d is %s, want %s", i, r.ID, items[i].ID)
		}
		if (r.Task == Control) != (r.Label == nil) {
			t.Fatalf("%s: label %v", r.ID, r.Label)
		}
	}
}

func TestWriterRejectsCorruptMiddle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	os.WriteFile(path, []byte("{\"id\":\"a\"}\nnot json\n{\"id\":\"b\"}\n"), 0o644)
	if _, err := OpenWriter(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("OpenWriter on a corrupt middle line: err = %v", err)
	}
	if _, err := ReadRecords(path); err == nil {
		t.Error("ReadRecords accepted a corrupt middle line")
	}
	os.WriteFile(path, []byte("{\"id\":\"a\"}\n{\"id\":\"a\"}\n"), 0o644)
	if _, err := OpenWriter(path); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate ids on disk: err = %v", err)
	}
}

func TestWriterNoFinalNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	os.WriteFile(path, []byte(`{"id":"a","task":"control"}`), 0o644)
	w, err := OpenWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Has("a") {
		t.Fatal("valid last line without newline was dropped")
	}
	if err := w.Append(Record{ID: "b", Task: Control}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	recs, err := ReadRecords(path)
	if err != nil || len(recs) != 2 {
		t.Fatalf("ReadRecords = %d records, %v", len(recs), err)
	}
}

func TestSummarize(t *testing.T) {
	yes, no := true, false
	var recs []Record
	add := func(task string, label *bool, n int) {
		for range n {
			recs = append(recs, Record{Task: task, Label: label})
		}
	}
	add("word_limit", &yes, 5)
	add("word_limit", &no, 5)
	add("lowercase", &yes, 9)
	add("lowercase", &no, 1)
	add(Control, nil, 7)
	got := Summarize(recs)
	want := []Summary{
		{Task: "word_limit", N: 10, Satisfied: 5, PassRate: 0.5, Minority: 0.5},
		{Task: "lowercase", N: 10, Satisfied: 9, PassRate: 0.9, Minority: 0.1, Imbalanced: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Summarize = %+v, want %+v", got, want)
	}
}

func TestItemsRoundTrip(t *testing.T) {
	items, _ := Plan(Config{PerTask: 3, Seed: 5})
	var buf bytes.Buffer
	if err := WriteItems(&buf, items); err != nil {
		t.Fatal(err)
	}
	got, err := ReadItems(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, items) {
		t.Fatal("items changed through WriteItems/ReadItems")
	}
	for i, bad := range []string{`{"task":"word_limit"}`, `{"id":"x","task":"nope"}`, `{"id":"x","task":"word_limit","params":{"n":"many"}}`, `{`} {
		if _, err := ReadItems(strings.NewReader(bad)); err == nil {
			t.Errorf("%d: ReadItems accepted %s", i, bad)
		}
	}
}

func TestParseSpace(t *testing.T) {
	sp, err := ParseSpace([]string{"word_limit.n=10:40", "forbidden_word.word=also|very", "bullet_count.n=3"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]tasks.Space{
		"word_limit":     {"n": {Min: 10, Max: 40}},
		"forbidden_word": {"word": {Values: []string{"also", "very"}}},
		"bullet_count":   {"n": {Min: 3, Max: 3}},
	}
	if !reflect.DeepEqual(sp, want) {
		t.Fatalf("ParseSpace = %v, want %v", sp, want)
	}
	for i, bad := range []string{"word_limit", "word_limit.n", "word_limit.n=", "nope.n=1:2", "word_limit.m=1:2",
		"word_limit.n=40:10", "word_limit.n=0:10", "word_limit.n=a:b", "sentiment.polarity=positive|meh",
		"include_keyword.keyword=ok|a.*b"} {
		if _, err := ParseSpace([]string{bad}); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%d: ParseSpace(%q) = %v, want ErrBadConfig", i, bad, err)
		}
	}
}

func TestLabel(t *testing.T) {
	items, _ := Plan(Config{Tasks: []string{"word_limit"}, PerTask: 3, Seed: 1, NoControls: true})
	in := `{"id":"word_limit-0000","response":"one two"}
{"id":"word_limit-0002","response":"` + strings.Repeat("w ", 500) + `","model":"other"}
`
	resps, err := ReadResponses(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "d.jsonl")
	w, _ := OpenWriter(path)
	n, err := Label(w, items, resps, "m")
	if err != nil || n != 2 {
		t.Fatalf("Label = %d, %v", n, err)
	}
	if n, err := Label(w, items, resps, "m"); err != nil || n != 0 {
		t.Fatalf("second Label = %d, %v; want nothing new", n, err)
	}
	if _, err := Label(w, items, []Response{{ID: "nope"}}, "m"); err == nil {
		t.Error("unknown id accepted")
	}
	w.Close()
	recs, _ := ReadRecords(path)
	if len(recs) != 2 || !*recs[0].Label || *recs[1].Label || recs[1].Model != "other" || recs[0].Model != "m" {
		t.Fatalf("records = %+v", recs)
	}
	if _, err := ReadResponses(strings.NewReader(`{"response":"x"}`)); err == nil {
		t.Error("response without id accepted")
	}
}

func TestBaseline(t *testing.T) {
	yes := true
	recs := []Record{
		{ID: "control-b001", BaseID: "b001", Task: Control, Response: "A short reply."},
		{ID: "word_limit-0000", BaseID: "b001", Task: "word_limit", Params: tasks.Params{"n": 10}, Label: &yes},
		{ID: "word_limit-0001", BaseID: "b001", Task: "word_limit", Params: tasks.Params{"n": 2}, Label: &yes},
		{ID: "lowercase-0000", BaseID: "b002", Task: "lowercase", Label: &yes}, // no control for b002
	}
	got, err := Baseline(recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["word_limit-0000"].Satisfied || got["word_limit-0001"].Satisfied {
		t.Fatalf("Baseline = %+v", got)
	}
	recs = append(recs, Record{ID: "x", BaseID: "b001", Task: "word_limit", Params: tasks.Params{"n": -1}})
	if _, err := Baseline(recs); !errors.Is(err, tasks.ErrBadParams) {
		t.Errorf("bad params: err = %v", err)
	}
}

// TestPlanBoundedByMemory: a per-task count whose plan cannot fit in memory fails at
// once, with the estimate, instead of allocating until the machine gives out
// (--per-task 2147483647 used to reach 8 GB resident in 2 minutes).
func TestPlanBoundedByMemory(t *testing.T) {
	t.Setenv(membudget.Env, "")
	start := time.Now()
	_, err := Plan(Config{PerTask: math.MaxInt32})
	if !errors.Is(err, ErrBadConfig) || !errors.Is(err, membudget.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrBadConfig and membudget.ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "19327352823 items") || !strings.Contains(err.Error(), "TiB of memory") {
		t.Errorf("error does not give the estimate: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %v", d)
	}
	t.Setenv(membudget.Env, "1MiB") // a budget below 9 tasks × 100 items
	if _, err := Plan(Config{PerTask: 100}); !errors.Is(err, membudget.ErrTooLarge) {
		t.Errorf("100 per task in 1 MiB: %v", err)
	}
}

// TestWriterFullDisk: a record cut short by a full disk (ENOSPC at a chosen byte) is
// cut back off, so once space is free the next record starts on a line of its own
// and the file reads whole.
func TestWriterFullDisk(t *testing.T) {
	defer faultinject.Arm(faultinject.Off, 0)
	items, _ := Plan(Config{Tasks: []string{"lowercase"}, PerTask: 3, Seed: 4, NoControls: true})
	path := filepath.Join(t.TempDir(), "dataset.jsonl")
	w, err := OpenWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r0, _ := NewRecord(items[0], "an answer", "m")
	if err := w.Append(r0); err != nil {
		t.Fatal(err)
	}
	faultinject.Arm(faultinject.NoSpace, 20) // the next record fails 20 bytes in
	r1, _ := NewRecord(items[1], "an answer", "m")
	if err := w.Append(r1); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on a full disk: %v", err)
	}
	faultinject.Arm(faultinject.Off, 0) // space again
	for _, it := range items[1:] {
		r, _ := NewRecord(it, "an answer", "m")
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := ReadRecords(path)
	if err != nil || len(recs) != 3 {
		t.Fatalf("after the disk filled and emptied: %d records, %v", len(recs), err)
	}
}

// TestReadRaw returns each record's line as written: a torn last line is
// dropped, a complete one without a newline gets one, a bad middle line fails.
func TestReadRaw(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	os.WriteFile(path, []byte("{\"id\":\"a\",\"x\":1.50}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"respo"), 0o644)
	recs, err := ReadRaw(path)
	if err != nil || len(recs) != 2 || recs[0].ID != "a" || string(recs[0].Line) != "{\"id\":\"a\",\"x\":1.50}\n" || recs[1].ID != "b" {
		t.Fatalf("ReadRaw = %q, %v", recs, err)
	}
	os.WriteFile(path, []byte("{\"id\":\"a\"}\n{\"id\":\"b\"}"), 0o644)
	if recs, err := ReadRaw(path); err != nil || len(recs) != 2 || string(recs[1].Line) != "{\"id\":\"b\"}\n" {
		t.Fatalf("no final newline: ReadRaw = %q, %v", recs, err)
	}
	os.WriteFile(path, []byte("{\"id\":\"a\"}\nnot json\n{\"id\":\"b\"}\n"), 0o644)
	if _, err := ReadRaw(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("corrupt middle line: %v", err)
	}
}
