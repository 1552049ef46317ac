"""Write the files pulumi-resource-kubernetes embeds, as the provider repository's generate.go does: its schema
with ``version`` set, and its terraform mapping, both compacted.

Usage: python3 embed_schema.py PACKAGE_DIR OUTPUT_DIR VERSION
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def read_json(path: Path) -> object:
    """The JSON document in ``path``."""
    with path.open() as file:
        return json.load(file)


def write_embedded(package: Path, output: Path, version: str) -> None:
    """schema-embed.json and terraform-mapping-embed.json in ``output``, from ``package``'s committed files."""
    schema = read_json(package / "schema.json")
    assert isinstance(schema, dict), "schema.json is not a JSON object"
    schema["version"] = version
    (output / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
    mapping = read_json(package / "terraform-mapping.json")
    (output / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))


if __name__ == "__main__":
    package_dir, output_dir, schema_version = sys.argv[1:]
    write_embedded(Path(package_dir), Path(output_dir), schema_version)
