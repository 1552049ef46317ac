"""Image references: kthw accepts exactly what containerd's reference parser (the real one, through the refcheck
program of toolchain/checker.sh) accepts and names a tag or a digest of."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.errors import ConfigError
from components.podnetwork.images import image_problem, parse_image
from tests.helpers.engine import toolchain_script

SHA256 = "sha256:" + "0123456789abcdef" * 4
CORPUS = [
    "docker.io/rajchaudhuri/weave-kube:2.9.0", "rajchaudhuri/weave-npc:2.9.0", "ghcr.io/flannel-io/flannel:v0.28.9",
    "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3", "registry.k8s.io/coredns/coredns:v1.14.6",
    "coredns/coredns:1.12.0", f"registry.example.com:5000/weave-kube@{SHA256}", f"weave-kube:2.9.0@{SHA256}",
    "localhost/weave:1", "localhost:5000/a/b/c:x", "[fd00::1]:5000/weave:1", "Mirror.Example.COM/weave:1",
    "Library/x:1", "a__b/c:1", "a___b/c:1", "a--b/c:1", "a-/b:1", "-a/b:1", "a.b.c/d_e.f:g", "UPPER/case:1",
    "weave-kube", "weave kube:1", "weave-kube:2.9.0 ", " weave-kube:2.9.0", "weave-kube:$(id)", "weave;rm:1",
    "weave-kube:`id`", "weave-kube:", "weave-kube:-1", "weave-kube:" + "t" * 128, "weave-kube:" + "t" * 129,
    f"weave@{SHA256[:-1]}", "weave@sha256:" + "0" * 64 + "0", "weave@md5:" + "0" * 32,
    "weave@sha512:" + "0" * 128, "weave@sha384:" + "0" * 96, "weave@SHA256:" + "0" * 64, "a" * 256 + ":1",
    "a" * 255 + ":1", "a" * 247 + ":1", "a" * 248 + ":1", "x/" + "a" * 253 + ":1", "x/" + "a" * 254 + ":1",
    "example.com/" + "a" * 243 + ":1", "example.com/" + "a" * 244 + ":1", "weave:1/x", "/weave:1",
    "weave/:1", "weave//x:1", "0123456789abcdef" * 4, "a:b:c", "a@b", "é/weave:1", "weave:é",
]


@functools.cache
def refcheck() -> Path:
    return Path(toolchain_script("checker.sh", "refcheck")) / "refcheck"


def containerd(references: list[str]) -> dict[str, bool]:
    """Whether containerd's parser accepts each reference and it names a tag or a digest."""
    result = subprocess.run([str(refcheck())], input="".join(f"{reference}\n" for reference in references),
                            capture_output=True, text=True, timeout=60, check=True)
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    return {verdict["reference"]: verdict["accepted"] and verdict["pinned"] for verdict in verdicts}


def test_kthw_accepts_exactly_the_pinned_references_containerd_accepts() -> None:
    assert all("\n" not in reference for reference in CORPUS)
    truth = containerd(CORPUS)
    disagreements = {reference: truth[reference] for reference in CORPUS
                     if (image_problem(reference) is None) != truth[reference]}
    assert disagreements == {}
    assert sum(truth.values()) >= 15 and len(truth) - sum(truth.values()) >= 25, "the corpus has both sides"


REFERENCE_PARTS = st.sampled_from([*"abcAB019.-_:/@[]", "sha256:", "sha512:", "0" * 32, "localhost"])
REFERENCES = st.lists(REFERENCE_PARTS, min_size=1, max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(REFERENCES, min_size=20, max_size=20))
def test_random_references_are_judged_as_containerd_judges_them(references: list[str]) -> None:
    truth = containerd(references)
    for reference in references:
        assert (image_problem(reference) is None) == truth[reference], reference


def test_a_refused_image_names_its_key_and_what_is_accepted() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_image("weave kube:2.9.0", "weave.kubeImage")
    assert str(caught.value).startswith("invalid config kthw:weave.kubeImage: is not an image reference; expected an "
                                        "image reference with a tag or a digest")
    with pytest.raises(ConfigError, match="neither a tag nor a digest"):
        parse_image("rajchaudhuri/weave-kube", "weave.kubeImage")
