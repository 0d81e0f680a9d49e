package capture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrBadPrompts is returned (wrapped) for a prompts file that cannot be read as
// documented in ReadPrompts.
var ErrBadPrompts = errors.New("capture: bad prompts file")

// MaxPromptLine bounds one line of a prompts file.
const MaxPromptLine = 1 << 20

// promptLine is one JSON line of a prompts file.
type promptLine struct {
	ID     *string `json:"id"`
	Prompt *string `json:"prompt"`
	Task   string  `json:"task"`
	Label  *int    `json:"label"`
	BaseID string  `json:"base_id"`
}

// ReadPrompts reads a JSON-lines prompts file: one object per line,
// {"id": "...", "prompt": "...", "task"?: "...", "label"?: 0|1, "base_id"?: "..."}.
// Blank lines are skipped. id and prompt are required and non-empty, ids are unique,
// unknown fields are refused (a typo would otherwise drop metadata silently), and a
// missing label is -1. Errors name the file, line and field.
func ReadPrompts(path string) ([]Prompt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	return readPrompts(path, f)
}

func readPrompts(name string, r io.Reader) ([]Prompt, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxPromptLine)
	var out []Prompt
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: %s:%d: %s", ErrBadPrompts, name, line, fmt.Sprintf(format, args...))
		}
		var pl promptLine
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&pl); err != nil {
			return nil, bad("%v", err)
		}
		if dec.More() {
			return nil, bad("more than one JSON value on the line")
		}
		switch {
		case pl.ID == nil || *pl.ID == "":
			return nil, bad(`field "id": missing or empty`)
		case pl.Prompt == nil || *pl.Prompt == "":
			return nil, bad(`field "prompt": missing or empty`)
		case pl.Label != nil && *pl.Label != 0 && *pl.Label != 1 && *pl.Label != -1:
			return nil, bad(`field "label": %d, want 0, 1 or -1`, *pl.Label)
		}
		if prev, dup := seen[*pl.ID]; dup {
			return nil, bad(`field "id": %q already used on line %d`, *pl.ID, prev)
		}
		seen[*pl.ID] = line
		p := Prompt{ID: *pl.ID, Text: *pl.Prompt, Task: pl.Task, Label: -1, BaseID: pl.BaseID}
		if pl.Label != nil {
			p.Label = *pl.Label
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: %s:%d: line longer than %d bytes", ErrBadPrompts, name, line+1, MaxPromptLine)
		}
		return nil, fmt.Errorf("capture: %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s: no prompts", ErrBadPrompts, name)
	}
	return out, nil
}
