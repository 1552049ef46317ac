#!/usr/bin/env bash
# Make the Pulumi engine available offline: the CLI, a Python language host and
# the resource plugins, all in one bin dir keyed by version.
#
#   bin=$(toolchain/pulumi.sh | tail -1); export PATH="$bin:$PATH"
#
# Logs go to stderr; the bin dir is the last line of stdout.
# Order: pulumi on PATH at the right version > cached build > official
# installer (only if get.pulumi.com answers) > build from Go modules.
#
# Plugins are used from PATH ("ambient" plugins): the engine takes a
# pulumi-resource-NAME found on PATH whatever version the SDK asks for, so put
# the bin dir first on PATH and nothing is installed into PULUMI_HOME.
#
# What the Go module proxy serves here (checked 2026-11):
# - github.com/pulumi/pulumi/pkg/v3: v3.274.1 (v3.272.0 is not served).
# - github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3: refused,
#   so the language host is a small program of ours (below) built on the
#   sdk/v3 module's python/toolchain package; it runs the upstream
#   pulumi-language-python-exec script from the sdk/v3 module.
# - github.com/pulumi/pulumi-kubernetes/provider/v4: only the pseudo-version
#   of commit f47bc2d6f199 (2026-01-15, before 4.34.2); it is built reporting
#   version 4.34.2 so the SDK and the engine agree on it.
# - github.com/pulumi/pulumi-tls/provider/v5 and
#   github.com/pulumi/pulumi-command/provider: refused (no version served),
#   so those two plugins cannot be built here and are left out.
set -euo pipefail

CLI_VERSION=3.274.1
K8S_VERSION=4.34.2
K8S_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
K8S_SDK=v4.22.2 # served sdk/v4 release standing in for the repo's ../sdk

ROOT=${KTHW_CACHE:-$HOME/.cache/kthw}/pulumi
CACHE=$ROOT/$CLI_VERSION
BIN=$CACHE/bin
PLUGINS=$ROOT/plugins
NEEDED=(pulumi pulumi-language-python pulumi-language-python-exec
	pulumi-resource-pulumi-python pulumi-resource-kubernetes)

log() { printf '[pulumi.sh] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# True if dir $1 holds every needed binary.
complete_dir() {
	local f
	for f in "${NEEDED[@]}"; do [[ -x $1/$f ]] || return 1; done
}

# Written once the bin dir is complete; a changed manifest means rebuild.
# (Called from main, once every function below is defined.)
manifest() {
	echo "cli=$CLI_VERSION kubernetes=$K8S_VERSION@$K8S_PSEUDO" \
		"langhost=$(declare -f write_langhost_source | sha256sum | cut -c1-12)"
}
cached() { [[ -f $BIN/.manifest && $(<"$BIN/.manifest") == "$(manifest)" ]] && complete_dir "$BIN"; }

GO=$(command -v go || echo /usr/local/go/bin/go)
BUILD=(-trimpath "-tags=osusergo,grpcnotrace")

# Seconds since $1, for the log.
since() { echo "$((SECONDS - $1))s"; }

# Directory of a module version in the module cache (downloads it).
moddir() {
	"$GO" mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))'
}

# (3) official installer, only if get.pulumi.com answers at all.
official() {
	local home=$CACHE/official
	curl -fsS --max-time 5 https://get.pulumi.com >/dev/null 2>&1 || return 1
	log "get.pulumi.com reachable: using the official installer"
	curl -fsSL https://get.pulumi.com | sh -s -- --version "$CLI_VERSION" \
		--install-root "$home" --no-edit-path >&2 || return 1
	cp -f "$home"/bin/pulumi* "$BIN/"
	local name ver
	for name in tls:5.6.2 command:1.2.1 "kubernetes:$K8S_VERSION"; do
		ver=${name#*:} name=${name%%:*}
		PULUMI_HOME=$home PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" plugin install \
			resource "$name" "$ver" >&2 || return 1
		ln -sf "$home/plugins/resource-$name-v$ver/pulumi-resource-$name" "$BIN/"
	done
}

# (4a) CLI: a wrapper module requiring pkg/v3 and sdk/v3 at one version
# (pkg's own go.mod replaces sdk/v3 with ../sdk), repeating pkg's other replace.
build_cli() {
	[[ -x $BIN/pulumi ]] && return
	local src=$CACHE/src/cli t=$SECONDS
	mkdir -p "$src"
	cat >"$src/go.mod" <<-EOF
		module kthw.local/pulumi-cli

		go 1.26

		require github.com/pulumi/pulumi/pkg/v3 v$CLI_VERSION
		require github.com/pulumi/pulumi/sdk/v3 v$CLI_VERSION

		replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
	EOF
	log "building pulumi v$CLI_VERSION (slow: ~700 packages)"
	(cd "$src" && "$GO" build "${BUILD[@]}" -o "$BIN/.pulumi.tmp" \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$CLI_VERSION" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
	mv "$BIN/.pulumi.tmp" "$BIN/pulumi"
	log "pulumi built in $(since "$t")"
}

# (4b) Python language host: our own small gRPC server (the upstream one's
# module is not served), plus the upstream exec and dynamic-provider scripts.
build_langhost() {
	local sdk
	sdk=$(moddir "github.com/pulumi/pulumi/sdk/v3@v$CLI_VERSION")
	install -m755 "$sdk/python/cmd/pulumi-language-python-exec" "$BIN/"
	install -m755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$BIN/"
	local src=$CACHE/src/language-python t=$SECONDS
	mkdir -p "$src"
	write_langhost_source "$src/main.go.new"
	if [[ -x $BIN/pulumi-language-python ]] && cmp -s "$src/main.go.new" "$src/main.go"; then
		rm "$src/main.go.new"
		return
	fi
	mv "$src/main.go.new" "$src/main.go"
	cat >"$src/go.mod" <<-EOF
		module kthw.local/pulumi-language-python

		go 1.26

		require github.com/pulumi/pulumi/sdk/v3 v$CLI_VERSION
	EOF
	log "building pulumi-language-python"
	(cd "$src" && "$GO" build "${BUILD[@]}" -o "$BIN/.langhost.tmp" \
		-ldflags "-X main.version=$CLI_VERSION" .)
	mv "$BIN/.langhost.tmp" "$BIN/pulumi-language-python"
	log "pulumi-language-python built in $(since "$t")"
}

# (4c) kubernetes provider, cached by version under $PLUGINS. Its main
# package embeds schema-embed.json and terraform-mapping-embed.json (made by
# the repo's generate.go); module-cache files cannot be added to (nor
# overlaid), so the wrapper module is the main package: main.go is copied
# and the embedded files are generated beside it.
build_kubernetes() {
	local out=$PLUGINS/kubernetes/$K8S_VERSION
	if [[ ! -x $out/pulumi-resource-kubernetes ]]; then
		local src=$out/src t=$SECONDS pkg
		mkdir -p "$src"
		cat >"$src/go.mod" <<-EOF
			module kthw.local/pulumi-kubernetes

			go 1.24.7

			require $K8S_MODULE $K8S_PSEUDO

			replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 $K8S_SDK
		EOF
		pkg=$(moddir "$K8S_MODULE@$K8S_PSEUDO")/cmd/pulumi-resource-kubernetes
		install -m644 "$pkg/main.go" "$src/main.go"
		python3 - "$pkg" "$src" "$K8S_VERSION" <<-'EOF'
			import json, sys
			pkg, src, version = sys.argv[1:]
			schema = json.load(open(f"{pkg}/schema.json"))
			schema["version"] = version
			json.dump(schema, open(f"{src}/schema-embed.json", "w"), separators=(",", ":"))
			mapping = json.load(open(f"{pkg}/terraform-mapping.json"))
			json.dump(mapping, open(f"{src}/terraform-mapping-embed.json", "w"), separators=(",", ":"))
		EOF
		log "building pulumi-resource-kubernetes $K8S_VERSION (slow: ~1000 packages)"
		(cd "$src" && "$GO" build "${BUILD[@]}" -o "$out/.tmp" \
			-ldflags "-X $K8S_MODULE/pkg/version.Version=$K8S_VERSION" .)
		mv "$out/.tmp" "$out/pulumi-resource-kubernetes"
		log "pulumi-resource-kubernetes built in $(since "$t")"
	fi
	ln -sf "$out/pulumi-resource-kubernetes" "$BIN/"
}

write_langhost_source() {
	cat >"$1" <<'EOF'
// Minimal Pulumi Python language host, generated by toolchain/pulumi.sh.
// Run starts pulumi-language-python-exec (beside this binary) with the
// project's Python (virtualenv/toolchain options of Pulumi.yaml); plugins
// are left to the engine, which finds them on PATH.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

var version = "0.0.0-dev"

// The exec script exits with this after showing the user an error.
const bailCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string
	execPy string
}

func options(info *pulumirpc.ProgramInfo) toolchain.PythonOptions {
	o := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	m := info.GetOptions().AsMap()
	if v, ok := m["virtualenv"].(string); ok {
		o.Virtualenv = v
	}
	switch m["toolchain"] {
	case "pip":
		o.Toolchain = toolchain.Pip
	case "poetry":
		o.Toolchain = toolchain.Poetry
	case "uv":
		o.Toolchain = toolchain.Uv
	}
	return o
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engine = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := toolchain.ResolveToolchain(options(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := toolchain.ResolveToolchain(options(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: info.PythonExecutable, Version: info.PythonVersion.String()}, nil
}

// streamWriter forwards pip's output to the engine.
type streamWriter struct {
	send   func(*pulumirpc.InstallDependenciesResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	r := &pulumirpc.InstallDependenciesResponse{Stdout: b}
	if w.stderr {
		r = &pulumirpc.InstallDependenciesResponse{Stderr: b}
	}
	return len(p), w.send(r)
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	srv grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	tc, err := toolchain.ResolveToolchain(options(req.GetInfo()))
	if err != nil {
		return err
	}
	out, errw := streamWriter{send: srv.Send}, streamWriter{send: srv.Send, stderr: true}
	return tc.InstallDependencies(srv.Context(), req.GetInfo().GetProgramDirectory(),
		req.GetUseLanguageVersionTools(), true, out, errw)
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	tc, err := toolchain.ResolveToolchain(options(info))
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	program := info.GetEntryPoint()
	if program == "" {
		program = "."
	}
	args := []string{"-u", h.execPy,
		"--monitor", req.GetMonitorAddress(), "--engine", h.engine,
		"--project", req.GetProject(), "--stack", req.GetStack(),
		"--pwd", req.GetPwd(), "--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
		"--root_directory", info.GetRootDirectory(),
		program}
	args = append(args, req.GetArgs()...)
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{} // the exec script wants an object
	}
	cfg, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	keys := req.GetConfigSecretKeys()
	if keys == nil {
		keys = []string{}
	}
	secretKeys, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(cfg), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	cmd.Dir = req.GetPwd()
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == bailCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d",
				exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func main() {
	args := os.Args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-version" || args[0] == "--version" {
			fmt.Println(version)
			return
		}
		args = args[1:] // flags such as -root or -tracing are not needed
	}
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	h := &host{execPy: filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")}
	// Stop serving once the engine is gone, so no host outlives its engine.
	stop := make(chan bool)
	if len(args) > 0 {
		h.engine = args[0]
		ctx, cancel := context.WithCancel(context.Background())
		if err := rpcutil.Healthcheck(ctx, h.engine, 30*time.Second, cancel); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go func() { <-ctx.Done(); close(stop) }()
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
		Cancel: stop,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
EOF
}

main() {
	local on_path dir start got
	# (1) pulumi already on PATH at the right version, with its plugins beside
	# it (our own bin dir is left to the manifest check below).
	if on_path=$(command -v pulumi 2>/dev/null); then
		dir=$(dirname "$on_path")
		if [[ $dir != "$BIN" ]] && complete_dir "$dir" &&
			[[ $(PULUMI_SKIP_UPDATE_CHECK=1 "$on_path" version 2>/dev/null) == "v$CLI_VERSION" ]]; then
			log "using pulumi v$CLI_VERSION from PATH"
			echo "$dir"
			exit 0
		fi
	fi

	# (2) cached build.
	if cached; then
		echo "$BIN"
		exit 0
	fi

	mkdir -p "$BIN" "$CACHE/src" "$PLUGINS"
	# One builder at a time; a second caller waits, then finds the cache.
	exec 9>"$CACHE/.lock"
	flock 9
	if cached; then
		echo "$BIN"
		exit 0
	fi

	[[ -x $GO ]] || die "no Pulumi CLI v$CLI_VERSION on PATH or in $CACHE, the official installer is out of reach, and Go is not installed to build it: install Pulumi (pulumi.com/docs/install) or Go 1.26+, then run this again"
	export CGO_ENABLED=0 GOFLAGS=-mod=mod

	start=$SECONDS
	if ! official; then
		log "building from Go modules into $BIN"
		build_langhost
		build_cli
		build_kubernetes
	fi
	complete_dir "$BIN" || die "incomplete bin dir $BIN"
	got=$(PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" version)
	[[ $got == "v$CLI_VERSION" ]] || die "pulumi version is $got, want v$CLI_VERSION"
	manifest >"$BIN/.manifest"
	log "ready in $(since "$start")"
	echo "$BIN"
}

main "$@"
