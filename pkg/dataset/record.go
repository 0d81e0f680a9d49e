package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ifprobe/ifprobe/internal/faultinject"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// Record is one line of dataset.jsonl: an item, the model's response, and the
// verifier's verdict. Python: pandas.read_json("dataset.jsonl", lines=True).
type Record struct {
	ID          string       `json:"id"`
	BaseID      string       `json:"base_id"`
	Task        string       `json:"task"` // a task name, or "control"
	Params      tasks.Params `json:"params,omitempty"`
	Phrasing    int          `json:"phrasing"`
	Instruction string       `json:"instruction,omitempty"`
	Prompt      string       `json:"prompt"`   // the user message
	Messages    []Message    `json:"messages"` // the chat given to the model (before its template)
	Response    string       `json:"response"` // the model's generated text, special tokens removed
	// Truncated: the response was stopped by the token limit, not ended by the
	// model (false when unknown, as for responses labelled from elsewhere).
	Truncated bool `json:"truncated"`
	// ResponseTokens is the number of tokens the model generated, the stop token
	// excluded (0 when unknown).
	ResponseTokens int `json:"response_tokens,omitempty"`
	// PromptIDs are the token ids the model read (the chat template applied) and
	// ResponseIDs those it wrote, the stop token excluded; set by the build, so
	// that the text a state has seen is known token by token.
	PromptIDs   []int `json:"prompt_ids,omitempty"`
	ResponseIDs []int `json:"response_ids,omitempty"`
	// Label is whether Response satisfies the instruction; null for controls,
	// which have no instruction.
	Label  *bool  `json:"label"`
	Reason string `json:"reason,omitempty"` // the verifier's reason
	Split  string `json:"split"`            // "train" or "test"
	Fold   int    `json:"fold"`
	Model  string `json:"model,omitempty"` // the model that wrote Response
}

// Ended reports whether the response ended by itself, hence has an eos state.
func (r Record) Ended() bool { return !r.Truncated }

// SeenTokens is the length of the generated sequence as positions index it
// (hook.Position.Index's respLen): the response tokens plus the stop token when
// the response ended.
func (r Record) SeenTokens() int {
	if r.Truncated {
		return len(r.ResponseIDs)
	}
	return len(r.ResponseIDs) + 1
}

// NewRecord verifies response against the item's task and returns the record.
// For a control item the label is nil and nothing is verified.
func NewRecord(it Item, response, model string) (Record, error) {
	r := Record{ID: it.ID, BaseID: it.BaseID, Task: it.Task, Params: it.Params, Phrasing: it.Phrasing,
		Instruction: it.Instruction, Prompt: it.Prompt, Messages: it.Messages(), Response: response,
		Split: it.Split, Fold: it.Fold, Model: model}
	if it.Task == Control {
		return r, nil
	}
	v, err := tasks.Verify(it.Task, response, it.Params)
	if err != nil {
		return Record{}, fmt.Errorf("dataset: item %s: %w", it.ID, err)
	}
	r.Label, r.Reason = &v.Satisfied, v.Reason
	return r, nil
}

// ErrDuplicate is returned by Writer.Append for an id already in the file.
var ErrDuplicate = errors.New("dataset: duplicate record id")

// maxLine bounds one JSON line when reading (a response of a few thousand
// tokens is far below it).
const maxLine = 64 << 20

// Writer appends records to a dataset.jsonl file, one whole line per write, and
// knows which ids the file already holds, so an interrupted build resumes.
type Writer struct {
	f    *os.File
	path string
	done map[string]bool
	// needNL: the file's last record has no newline (written by another tool).
	needNL bool
	end    int64 // length of the file's complete records
}

// OpenWriter opens path for appending, creating it if needed. It reads the
// records already there; a last line cut short by a crash (no newline, or not
// valid JSON) is truncated away. A malformed line elsewhere is an error.
func OpenWriter(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	done, good, noNL, err := scan(f)
	if err == nil {
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return &Writer{f: f, path: path, done: done, needNL: noNL, end: good}, nil
}

// scan reads every complete record and returns the ids seen, the byte length
// of the valid prefix, and whether that prefix lacks a final newline.
func scan(r io.Reader) (done map[string]bool, good int64, noNL bool, err error) {
	done = map[string]bool{}
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return done, good, noNL, nil
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("line %d: %w", n, err)
		}
		var rec struct {
			ID string `json:"id"`
		}
		if jerr := json.Unmarshal(line, &rec); jerr != nil || rec.ID == "" {
			if _, perr := br.Peek(1); perr == io.EOF {
				return done, good, false, nil // a torn last line: drop it
			}
			return nil, 0, false, fmt.Errorf("line %d: not a record (%v)", n, jerr)
		}
		if done[rec.ID] {
			return nil, 0, false, fmt.Errorf("line %d: %w %q", n, ErrDuplicate, rec.ID)
		}
		done[rec.ID] = true
		good += int64(len(line))
		noNL = !bytes.HasSuffix(line, []byte("\n"))
	}
}

// Has reports whether a record with this id is already in the file.
func (w *Writer) Has(id string) bool { return w.done[id] }

// Len is the number of records in the file.
func (w *Writer) Len() int { return len(w.done) }

// Pending returns the items whose ids are not yet in the file, in order.
func (w *Writer) Pending(items []Item) []Item {
	var out []Item
	for _, it := range items {
		if !w.done[it.ID] {
			out = append(out, it)
		}
	}
	return out
}

// Append writes r as one line with a single write call and syncs the file, so
// a crash leaves either the whole line or a torn last line that OpenWriter
// removes.
func (w *Writer) Append(r Record) error {
	if r.ID == "" {
		return fmt.Errorf("dataset: %s: record without id", w.path)
	}
	if w.done[r.ID] {
		return fmt.Errorf("%w %q in %s", ErrDuplicate, r.ID, w.path)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("dataset: record %s: %w", r.ID, err)
	}
	line := append(b, '\n')
	if w.needNL {
		line = append([]byte{'\n'}, line...)
	}
	if _, err := faultinject.Writer(w.f).Write(line); err != nil { // w.f itself unless a fault test armed it
		// A write cut short (a full disk) must not leave a torn line for the next
		// record to follow: cut the file back to its last complete record.
		if w.f.Truncate(w.end) == nil {
			w.f.Seek(w.end, io.SeekStart)
		}
		return fmt.Errorf("dataset: %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("dataset: %s: %w", w.path, err)
	}
	w.done[r.ID], w.needNL = true, false
	w.end += int64(len(line))
	return nil
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// ReadRecords reads every record of a dataset.jsonl file. A torn last line is
// ignored, as OpenWriter would drop it.
func ReadRecords(path string) ([]Record, error) {
	var out []Record
	err := eachLine(path, func(line []byte) error {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RawRecord is one line of a dataset.jsonl file as written, with its id.
type RawRecord struct {
	ID   string
	Line []byte // the whole line, newline included
}

// ReadRaw reads every record of a dataset.jsonl file without re-encoding it,
// so that records can be moved between files byte for byte (merging the parts
// of a sharded build). A torn last line is ignored, as OpenWriter would drop
// it, and a complete last line without a newline gets one; any other line that
// is not a record with an id is an error.
func ReadRaw(path string) ([]RawRecord, error) {
	var out []RawRecord
	err := eachLine(path, func(line []byte) error {
		var rec struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.ID == "" {
			return fmt.Errorf("not a record (%v)", err)
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			line = append(line, '\n') // a last record written by another tool
		}
		out = append(out, RawRecord{ID: rec.ID, Line: line})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachLine calls parse on every line of a dataset.jsonl file. A line parse
// rejects is an error naming the file and line, except the last line, which a
// crash may have torn: it is ignored, as OpenWriter would drop it.
func eachLine(path string, parse func(line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("dataset: %s line %d: %w", path, n, err)
		}
		if perr := parse(line); perr != nil {
			if _, eof := br.Peek(1); eof == io.EOF {
				return nil // a torn last line
			}
			return fmt.Errorf("dataset: %s line %d: %w", path, n, perr)
		}
	}
}

// readLine returns one line including its newline (if any), bounded by maxLine;
// io.EOF only when nothing is left.
func readLine(br *bufio.Reader) ([]byte, error) {
	var full []byte
	for {
		part, err := br.ReadSlice('\n')
		full = append(full, part...)
		if len(full) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(full) > 0:
			return full, nil
		default:
			return full, err
		}
	}
}
