package jinja

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors; every error from this package is an *Error wrapping one.
var (
	ErrSyntax    = errors.New("syntax error")
	ErrRender    = errors.New("render error")
	ErrUndefined = errors.New("undefined value")
	ErrRaised    = errors.New("template raised an exception")
	ErrLimit     = errors.New("sandbox limit exceeded")
	ErrSandbox   = errors.New("operation not allowed in the sandbox")
)

// Error is a parse or render error, located in a template.
type Error struct {
	Template string // the template's name as given to Parse
	Line     int    // 1-based line in the template source
	Msg      string
	Err      error // one of the sentinels above, or an error from a Func
}

func (e *Error) Error() string {
	return fmt.Sprintf("jinja: template %q line %d: %s", e.Template, e.Line, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ParseOptions control the lexer as Jinja's Environment options do.
type ParseOptions struct {
	TrimBlocks   bool // drop the first newline after a block or comment tag
	LstripBlocks bool // strip spaces and tabs before a block or comment tag at the start of a line
}

// HFOptions are the options transformers uses for chat templates
// (ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)).
var HFOptions = ParseOptions{TrimBlocks: true, LstripBlocks: true}

// Limits bound what one Render may consume. A zero field means the default.
type Limits struct {
	MaxSteps          int64 // evaluated nodes (statements, expressions, loop iterations)
	MaxOutputBytes    int   // size of the output, and of any string or list built on the way
	MaxDepth          int   // nesting of macro calls
	MaxLoopIterations int64 // iterations of all loops together
	Timeout           time.Duration
}

// DefaultLimits are generous for chat templates (a few KB of output for a
// conversation) and small enough to stop hostile templates in well under a second.
var DefaultLimits = Limits{
	MaxSteps:          5_000_000,
	MaxOutputBytes:    16 << 20,
	MaxDepth:          64,
	MaxLoopIterations: 1_000_000,
	Timeout:           10 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxSteps > 0 {
		d.MaxSteps = l.MaxSteps
	}
	if l.MaxOutputBytes > 0 {
		d.MaxOutputBytes = l.MaxOutputBytes
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxLoopIterations > 0 {
		d.MaxLoopIterations = l.MaxLoopIterations
	}
	if l.Timeout > 0 {
		d.Timeout = l.Timeout
	}
	return d
}

// Template is a parsed template. It is immutable and safe for concurrent use.
type Template struct {
	name string
	body []stmt
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

// Parse parses src. name is used in error messages only.
func Parse(name, src string, opts ParseOptions) (*Template, error) {
	toks, err := lex(name, src, opts)
	if err != nil {
		return nil, err
	}
	body, err := parse(name, toks)
	if err != nil {
		return nil, err
	}
	return &Template{name: name, body: body}, nil
}

// RenderOptions configure one Render.
type RenderOptions struct {
	Limits Limits
	// Now is the clock of strftime_now; nil means time.Now. Inject a fixed time
	// for reproducible output.
	Now func() time.Time
	// Globals are extra functions or values visible to the template, below vars.
	Globals map[string]any
}

// Render renders the template with vars (converted with FromGo). It never
// panics; it stops with an error wrapping ErrLimit when a limit is reached or
// ctx is done.
func (t *Template) Render(ctx context.Context, vars map[string]any, opts RenderOptions) (out string, err error) {
	lim := opts.Limits.withDefaults()
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	r := &renderer{tmpl: t, ctx: ctx, lim: lim, now: opts.Now}
	if r.now == nil {
		r.now = time.Now
	}
	root := &frame{vars: map[string]any{}}
	for k, v := range builtinGlobals(r) {
		root.vars[k] = v
	}
	for k, v := range opts.Globals {
		c, err := FromGo(v)
		if err != nil {
			return "", &Error{Template: t.name, Msg: fmt.Sprintf("global %q: %v", k, err), Err: ErrRender}
		}
		root.vars[k] = c
	}
	for k, v := range vars {
		c, err := FromGo(v)
		if err != nil {
			return "", &Error{Template: t.name, Msg: fmt.Sprintf("variable %q: %v", k, err), Err: ErrRender}
		}
		root.vars[k] = c
	}
	defer func() {
		if p := recover(); p != nil {
			if f, ok := p.(renderFail); ok {
				err = f.err
				return
			}
			err = &Error{Template: t.name, Line: r.line, Msg: fmt.Sprintf("internal error: %v", p), Err: ErrRender}
		}
	}()
	var b strings.Builder
	r.out = &b
	r.execBody(t.body, root)
	return b.String(), nil
}
