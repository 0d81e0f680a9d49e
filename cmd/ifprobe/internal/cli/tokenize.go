package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ifprobe/ifprobe/internal/limitread"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

func init() { register(newTokenizeCmd) }

// maxTokenizeInput bounds text read from standard input.
const maxTokenizeInput = 64 << 20

// readStdin reads the text argument "-" of command from standard input, bounded
// by maxTokenizeInput (too much is a usage error).
func readStdin(cmd *cobra.Command, command string) (string, error) {
	b, err := limitread.All(cmd.InOrStdin(), maxTokenizeInput)
	if errors.Is(err, limitread.ErrTooLarge) {
		return "", Usagef("%s: standard input: %v", command, err)
	}
	if err != nil {
		return "", fmt.Errorf("%s: read standard input: %w", command, err)
	}
	return string(b), nil
}

type tokenizeOptions struct {
	model         string
	asJSON        bool
	chat          bool
	addSpecial    bool
	specialAsText bool
}

func newTokenizeCmd() *cobra.Command {
	var o tokenizeOptions
	cmd := &cobra.Command{
		Use:   "tokenize --model M [flags] TEXT",
		Short: "Show the token ids and pieces of a text",
		Long: `Tokenize TEXT ("-" reads standard input) with a model's tokenizer. M is a
registry name (see 'ifprobe models list'), a GGUF file, or a Hugging Face model
directory (tokenizer.json, byte-level BPE). Special tokens written
in the text (<|im_start|>, <start_of_turn>) are matched unless --special-as-text.
With --chat, TEXT is a user message rendered with the model's own chat template
(generation prompt included) before tokenizing.`,
		Example: `  ifprobe tokenize --model smollm2-135m-instruct "Hello world"
  ifprobe tokenize --model smollm2-135m-instruct --chat --json "Write a haiku."
  echo "text" | ifprobe tokenize --model ./model.gguf -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return Usagef("tokenize: give exactly one TEXT argument (\"-\" for standard input), got %d", len(args))
			}
			if o.model == "" {
				return Usagef("tokenize: --model is required (known: %s, or a GGUF path)", strings.Join(registry.Names(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runTokenize(cmd, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "registry model name, GGUF file or HF model directory")
	f.BoolVar(&o.asJSON, "json", false, "print JSON: {model, text, ids, pieces}")
	f.BoolVar(&o.chat, "chat", false, "render TEXT as a user message with the model's chat template first")
	f.BoolVar(&o.addSpecial, "add-special", false, "add BOS/EOS where the model's metadata asks for it")
	f.BoolVar(&o.specialAsText, "special-as-text", false, "do not match special tokens written in the text")
	return cmd
}

// pieceEscaper keeps control characters in a vocabulary entry from breaking
// the table.
var pieceEscaper = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

// tokenizeResult is the --json output.
type tokenizeResult struct {
	Model  string   `json:"model"`
	Text   string   `json:"text"`
	IDs    []int    `json:"ids"`
	Pieces []string `json:"pieces"`
}

func runTokenize(cmd *cobra.Command, o tokenizeOptions, text string) error {
	if text == "-" {
		var err error
		if text, err = readStdin(cmd, "tokenize"); err != nil {
			return err
		}
	}
	l, err := registry.Resolve(o.model)
	if err != nil {
		return modelError(err)
	}
	ck, err := l.Open() // GGUF file or HF directory, opened once for tokenizer and template
	if err != nil {
		return err
	}
	defer ck.Close()
	tok, err := tokenizer.FromCheckpoint(ck)
	if err != nil {
		return err
	}
	if o.chat {
		tmpl, err := chat.FromCheckpoint(ck) // GGUF metadata, or chat_template.jinja / tokenizer_config.json
		if err != nil {
			return fmt.Errorf("lm: %w", err)
		}
		sp := tok.Special()
		text, err = tmpl.Render(cmd.Context(), []chat.Message{{Role: "user", Content: text}},
			chat.Options{AddGenerationPrompt: true, BOS: tok.Piece(sp.BOS), EOS: tok.Piece(sp.EOS)})
		if err != nil {
			return err
		}
	}
	ids, err := tok.Encode(text, tokenizer.EncodeOptions{AddSpecial: o.addSpecial, SpecialAsText: o.specialAsText})
	if err != nil {
		return err
	}
	res := tokenizeResult{Model: l.Name, Text: text, IDs: ids, Pieces: make([]string, len(ids))}
	for i, id := range ids {
		res.Pieces[i] = tok.Piece(id)
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(out, res)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POS\tID\tPIECE\tTEXT")
	for i, id := range ids {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%q\n", i, id, pieceEscaper.Replace(res.Pieces[i]), tok.Decode([]int{id}))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%d tokens\n", len(ids))
	return err
}
