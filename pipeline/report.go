package pipeline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/internal/jsonnan"

	"github.com/ifprobe/ifprobe/pkg/atomicfile"
)

// Report is the outcome of a reproduction: per model, the dataset summary, the five
// results and their verdicts, with the configuration, versions and timings.
type Report struct {
	Config   Config      `json:"config"`
	Models   []*ModelRun `json:"models"`
	Started  time.Time   `json:"started"`
	Finished time.Time   `json:"finished"`
	Versions Versions    `json:"versions"`
}

// Versions records what produced a report.
type Versions struct {
	Go      string            `json:"go"`
	IFProbe string            `json:"ifprobe"`
	Modules map[string]string `json:"modules"`
	Backend string            `json:"backend"`
}

func versions(backend string) Versions {
	v := Versions{Go: runtime.Version(), Modules: map[string]string{}, Backend: backend}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.IFProbe = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.IFProbe += " " + s.Value
			}
		}
		for _, d := range bi.Deps {
			if strings.Contains(d.Path, "gomlx") || strings.Contains(d.Path, "gonum") {
				v.Modules[d.Path] = d.Version
			}
		}
	}
	return v
}

var titles = map[string]string{
	"specialist": "1. Specialist vs general probes",
	"transfer":   "2. Cross-task transfer",
	"ablation":   "3. Causal ablation",
	"layers":     "4. Layer stratification",
	"temporal":   "5. Temporal monitoring",
}

// Write writes report.md, report.html (self-contained: figures embedded) and
// report.json into dir.
func (r *Report) Write(dir string) error {
	backend := ""
	if r.Config.Backend != nil {
		backend = r.Config.Backend.Name()
	}
	r.Versions = versions(backend)
	md, err := r.markdown()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "report.md"), []byte(md)); err != nil {
		return err
	}
	h, err := r.html()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "report.html"), []byte(h)); err != nil {
		return err
	}
	b, err := jsonnan.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "report.json"), b)
}

// section is one analysis across models.
type section struct {
	name    string
	results []analyses.Result
	models  []*ModelRun
}

func (r *Report) sections() []section {
	var out []section
	for _, an := range analysisNames {
		s := section{name: an}
		for _, m := range r.Models {
			if res, ok := m.Results[an]; ok {
				s.results = append(s.results, res)
				s.models = append(s.models, m)
			}
		}
		out = append(out, s)
	}
	return out
}

func (r *Report) header() string {
	var b strings.Builder
	var names []string
	for _, m := range r.Models {
		names = append(names, m.Model)
	}
	p := r.Config.Profile
	fmt.Fprintf(&b, "Models: %s. Profile %q: %d items per task, responses up to %d tokens, %d-fold grouped CV, %d bootstrap resamples, seed %d, probes read at %s. ",
		strings.Join(names, ", "), p.Name, p.PerTask, p.MaxTokens, p.Folds, p.BootstrapReps, r.Config.Seed, p.Position)
	fmt.Fprintf(&b, "Took %s (%s to %s).", r.Finished.Sub(r.Started).Round(time.Second), r.Started.UTC().Format(time.RFC3339), r.Finished.UTC().Format(time.RFC3339))
	return b.String()
}

func (r *Report) markdown() (string, error) {
	var b strings.Builder
	b.WriteString("# ifprobe report: How LLMs Follow Instructions\n\n")
	b.WriteString(r.header() + "\n\n## Verdicts\n\n")
	b.WriteString("| finding |")
	for _, m := range r.Models {
		b.WriteString(" " + m.Model + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(r.Models)) + "\n")
	for _, an := range analysisNames {
		b.WriteString("| " + titles[an] + " |")
		for _, m := range r.Models {
			b.WriteString(" " + strings.ReplaceAll(m.Verdicts[an], "|", "\\|") + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Pass rates (the model's own responses, verified)\n\n")
	for _, m := range r.Models {
		fmt.Fprintf(&b, "**%s**\n\n| task | n | pass rate | minority < 20%% | truncated (satisfied) |\n|---|---|---|---|---|\n", m.Model)
		for _, s := range m.Summary {
			flag := ""
			if s.Imbalanced {
				flag = "yes"
			}
			fmt.Fprintf(&b, "| %s | %d | %.2f | %s | %d (%d) |\n", s.Task, s.N, s.PassRate, flag, s.Truncated, s.TruncatedSatisfied)
		}
		b.WriteString("\nTruncated: responses stopped by the token limit. They have no end, so they are left out at eos.\n")
		b.WriteString("\n")
		for _, sk := range m.Skipped {
			fmt.Fprintf(&b, "Not probed: %s (%s).\n\n", sk.Task, sk.Reason)
		}
	}
	for _, s := range r.sections() {
		fmt.Fprintf(&b, "## %s\n\n", titles[s.name])
		for i, res := range s.results {
			m := s.models[i]
			fmt.Fprintf(&b, "### %s\n\n%s\n\n", m.Model, res.Verdict())
			figs, err := res.Figures()
			if err != nil {
				return "", err
			}
			for _, f := range figs {
				fmt.Fprintf(&b, "![%s](%s)\n\n", f.Name, filepath.ToSlash(filepath.Join(m.Dir, s.name, "figures", f.Name+".png")))
			}
			fmt.Fprintf(&b, "Table: [%s](%s)\n\n", "table.csv", filepath.ToSlash(filepath.Join(m.Dir, s.name, "table.csv")))
		}
	}
	b.WriteString("## Run\n\n```json\n")
	cfg, _ := json.MarshalIndent(struct {
		Profile  Profile                       `json:"profile"`
		Seed     uint64                        `json:"seed"`
		Versions Versions                      `json:"versions"`
		Timings  map[string]map[string]float64 `json:"timings_s"`
	}{r.Config.Profile, r.Config.Seed, r.Versions, r.timings()}, "", "  ")
	b.Write(cfg)
	b.WriteString("\n```\n")
	return b.String(), nil
}

func (r *Report) timings() map[string]map[string]float64 {
	t := map[string]map[string]float64{}
	for _, m := range r.Models {
		t[m.Model] = m.Timings
	}
	return t
}

func (r *Report) html() (string, error) {
	var b bytes.Buffer
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>ifprobe report</title><style>
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;line-height:1.45}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee;margin:.5em 0}.models{display:flex;gap:1em;flex-wrap:wrap}
.model{flex:1 1 480px}code,pre{background:#f6f6f6}</style></head><body>`)
	b.WriteString("<h1>ifprobe report: How LLMs Follow Instructions</h1><p>" + html.EscapeString(r.header()) + "</p>")
	b.WriteString("<h2>Verdicts</h2><table><tr><th>finding</th>")
	for _, m := range r.Models {
		b.WriteString("<th>" + html.EscapeString(m.Model) + "</th>")
	}
	b.WriteString("</tr>")
	for _, an := range analysisNames {
		b.WriteString("<tr><td>" + html.EscapeString(titles[an]) + "</td>")
		for _, m := range r.Models {
			b.WriteString("<td>" + html.EscapeString(m.Verdicts[an]) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table><h2>Pass rates</h2><div class=models>")
	for _, m := range r.Models {
		b.WriteString("<div class=model><h3>" + html.EscapeString(m.Model) + "</h3><table><tr><th>task</th><th>n</th><th>pass rate</th><th>minority &lt; 20%</th><th>truncated (satisfied)</th></tr>")
		for _, s := range m.Summary {
			flag := ""
			if s.Imbalanced {
				flag = "yes"
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%.2f</td><td>%s</td><td>%d (%d)</td></tr>", html.EscapeString(s.Task), s.N, s.PassRate, flag, s.Truncated, s.TruncatedSatisfied)
		}
		b.WriteString("</table><p>Truncated: responses stopped by the token limit. They have no end, so they are left out at eos.</p>")
		for _, sk := range m.Skipped {
			b.WriteString("<p>Not probed: " + html.EscapeString(sk.Task+" ("+sk.Reason+")") + ".</p>")
		}
		b.WriteString("</div>")
	}
	b.WriteString("</div>")
	for _, s := range r.sections() {
		b.WriteString("<h2>" + html.EscapeString(titles[s.name]) + "</h2><div class=models>")
		for i, res := range s.results {
			b.WriteString("<div class=model><h3>" + html.EscapeString(s.models[i].Model) + "</h3><p>" + html.EscapeString(res.Verdict()) + "</p>")
			figs, err := res.Figures()
			if err != nil {
				return "", err
			}
			for _, f := range figs {
				png, err := f.PNG()
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&b, `<img alt="%s" src="data:image/png;base64,%s">`, html.EscapeString(f.Name), base64.StdEncoding.EncodeToString(png))
			}
			b.WriteString(tableHTML(res.Table()) + "</div>")
		}
		b.WriteString("</div>")
	}
	b.WriteString("</body></html>\n")
	return b.String(), nil
}

// tableHTML renders a table, collapsed when long.
func tableHTML(rows [][]string) string {
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>table (%d rows)</summary><table><tr>", len(rows)-1)
	for _, h := range rows[0] {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr>")
	for _, row := range rows[1:] {
		b.WriteString("<tr>")
		for _, c := range row {
			b.WriteString("<td>" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table></details>")
	return b.String()
}
