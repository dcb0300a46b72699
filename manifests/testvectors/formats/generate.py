"""Regenerates the format test vectors with the reference writers.

Requires: pip install gguf==0.19.0 safetensors==0.8.0 numpy
Run from this folder: python3 generate.py
"""
import json

import numpy as np
import gguf
from gguf.quants import quantize
from safetensors.numpy import save_file

rng = np.random.default_rng(7)

# safetensors: several dtypes, a zero-size tensor, metadata with a license.
save_file(
    {
        "embed.weight": rng.standard_normal((4, 8)).astype(np.float32),
        "norm.weight": np.ones((8,), dtype=np.float16),
        "ids": np.arange(3, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "bytes": np.arange(5, dtype=np.uint8),
        "empty": np.zeros((0,), dtype=np.float32),
    },
    "reference.safetensors",
    metadata={"format": "pt", "license": "apache-2.0"},
)

# GGUF v3: F32, F16 and Q8_0 tensors, string/int/float/bool/array metadata.
w = gguf.GGUFWriter("reference.gguf", "llama")
w.add_name("tiny")
w.add_license("apache-2.0")
w.add_block_count(1)
w.add_context_length(64)
w.add_float32("test.float", 0.25)
w.add_bool("test.bool", True)
w.add_token_list(["<s>", "</s>", "a", "b"])
w.add_token_scores([0.0, 0.0, -1.0, -2.0])
w.add_tensor("token_embd.weight", rng.standard_normal((4, 32)).astype(np.float32))
w.add_tensor("output_norm.weight", np.ones((32,), dtype=np.float16))
q = quantize(rng.standard_normal((2, 64)).astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
w.add_tensor("blk.0.attn_q.weight", q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# A gguf-split style set written by the reference writer: split-00001-of-00003.gguf ... (split.no 0-based).
w = gguf.GGUFWriter("split.gguf", "llama", split_max_tensors=1)
w.add_license("mit")
for i in range(3):
    w.add_tensor(f"blk.{i}.w", np.ones((8,), dtype=np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# What the reference reader sees, for the tests to compare against.
r = gguf.GGUFReader("reference.gguf")
summary = {
    "tensors": [
        {"name": t.name, "type": int(t.tensor_type), "dims": [int(d) for d in t.shape], "offset": int(t.data_offset - r.data_offset), "bytes": int(t.n_bytes)}
        for t in r.tensors
    ],
    "dataOffset": int(r.data_offset),
    "keys": [f.name for f in r.fields.values() if not f.name.startswith("GGUF.")],
}
with open("reference.gguf.json", "w") as f:
    json.dump(summary, f, indent=1)
    f.write("\n")
