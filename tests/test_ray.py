"""Ray engine tests on a real local cluster (loopback, dashboard off, object store capped)."""

from __future__ import annotations

import json

import pytest

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray

ARTICLE = (
    "The regional water authority said on Tuesday that reservoir levels had recovered after the wet winter.\n"
    "Officials expect no restrictions on household use this summer, although farmers were asked to keep "
    "records of how much they draw from rivers.\n"
)


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024 * 1024,
             log_to_driver=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


def test_engine_ray_matches_local_byte_for_byte(cluster, tmp_path) -> None:
    from cleaner.cli import main

    inp = tmp_path / "in.jsonl"
    with open(inp, "w") as f:
        for i in range(70):
            f.write(json.dumps({"id": i, "text": f"Item {i}. " + ARTICLE, "k": i}) + "\n")
        f.write("not json\n")
    local, dist = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert main(["clean", str(inp), "-o", str(local), "-q", "--workers", "1"]) == 1
    assert main(["clean", str(inp), "-o", str(dist), "-q", "--engine", "ray"]) == 1
    assert dist.read_bytes() == local.read_bytes()


def test_clean_dataset(cluster) -> None:
    import ray.data

    from cleaner.ray import clean_dataset

    ds = ray.data.from_items([{"id": str(i), "text": f"Item {i}. " + ARTICLE, "src": "feed"} for i in range(10)])
    rows = sorted(clean_dataset(ds, batch_size=4).take_all(), key=lambda r: int(r["id"]))
    assert [r["id"] for r in rows] == [str(i) for i in range(10)]
    assert rows[0]["src"] == "feed" and "reservoir" in rows[0]["text"] and rows[0]["language"] == "en"
    assert isinstance(json.loads(rows[0]["metadata"]), dict)
