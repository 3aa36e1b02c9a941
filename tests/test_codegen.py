"""The schema and the documented queries make strict TypeScript: GraphQL Code Generator over
schema/schema.graphql, docs/queries/ and the typed client's operations, then `tsc --strict` on
the output and on the client (tests/http/client.ts). Needs node and `npm ci` in tests/http."""
import shutil
import subprocess
from pathlib import Path

HTTP = Path(__file__).parent / "http"


def test_codegen_output_and_the_typed_client_compile_strictly(need_tool):
    node = shutil.which("node")
    need_tool(None if node else "node is not installed")
    need_tool(None if (HTTP / "node_modules" / "@graphql-codegen" / "cli").is_dir()
                 else "GraphQL Code Generator is not installed: run `npm ci` in tests/http")
    bins = HTTP / "node_modules" / ".bin"
    generated = HTTP / "generated" / "graphql.ts"
    generated.unlink(missing_ok=True)
    done = subprocess.run([str(bins / "graphql-codegen"), "--config", "codegen.yml"], cwd=HTTP,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    types = generated.read_text()
    assert "export type DrillDownQuery" in types and "Money: { input: string; output: string; }" in types
    assert "unknown; output: unknown" not in types  # every custom scalar is mapped
    done = subprocess.run([str(bins / "tsc"), "-p", "tsconfig.json"], cwd=HTTP, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
