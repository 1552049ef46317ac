// refcheck reads container image references, one a line on stdin, and prints for each one line of JSON: whether
// containerd's CRI would accept it (reference.ParseDockerRef of github.com/distribution/reference, the parser it
// reads every pod's image with) and, if so, whether it names a tag or a digest and its normalized form.
package main

import (
	"bufio"
	_ "crypto/sha256" // the digest algorithms the runtime links in, so go-digest knows them
	_ "crypto/sha512"
	"encoding/json"
	"os"

	"github.com/distribution/reference"
)

type verdict struct {
	Reference  string `json:"reference"`
	Accepted   bool   `json:"accepted"`
	Pinned     bool   `json:"pinned"`
	Normalized string `json:"normalized,omitempty"`
	Error      string `json:"error,omitempty"`
}

func check(text string) verdict {
	result := verdict{Reference: text}
	named, err := reference.ParseDockerRef(text)
	if err != nil {
		result.Error = err.Error()
		return result
	}
	result.Accepted = true
	result.Normalized = named.String()
	// ParseDockerRef adds :latest to a bare name: pinned means the text itself names a tag or a digest.
	parsed, err := reference.ParseNormalizedNamed(text)
	if err == nil {
		_, tagged := parsed.(reference.Tagged)
		_, digested := parsed.(reference.Digested)
		result.Pinned = tagged || digested
	}
	return result
}

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	encoder := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		if err := encoder.Encode(check(scanner.Text())); err != nil {
			os.Exit(1)
		}
	}
}
