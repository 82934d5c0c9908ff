#!/usr/bin/env python3
"""Write a tiny, deterministic llama-architecture GGUF model for interop tests.

No weights are downloaded: every tensor is drawn from a seeded numpy RNG and
the tokenizer is a byte-level BPE ("gpt2" tokenizer model, "gpt-2"
pre-tokenizer) whose merges are trained here on a small built-in English text.
All 256 bytes are tokens, so the model can emit any byte (`{`, `"`, letters,
...) and llama.cpp's grammar-constrained decoding (json_schema, json_object)
can always find an allowed token.

The output layer carries a hand-set per-token bias (through an embedding
dimension that is held constant, see build()), plus small context-dependent
noise: `"`, brackets and `<|im_end|>` are favoured, so grammar-constrained
strings and arrays close after a few tokens (json_schema answers finish with
finish_reason "stop", typically 30-90 tokens) and unconstrained answers end
after a few tokens.  Control bytes, backslash and newlines are disfavoured.
The text is gibberish.  The vocabulary (661 tokens) averages about 2.6-3.2
characters per token on English text.

Usage:
    python3 scripts/make_tiny_gguf.py [--out PATH] [--force] [--seed N]

Default output: ${TRENDSUM_INTEROP_CACHE:-~/.cache/trendsum-interop}/tiny-llama.gguf
If the file exists it is reused (path printed, nothing written) unless --force.
Requires: pip install gguf numpy
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from pathlib import Path

try:
    import numpy as np
    import gguf
except ImportError as exc:  # pragma: no cover - environment problem
    sys.exit(f"make_tiny_gguf: missing dependency ({exc}); run: pip install gguf numpy")

# ---------------------------------------------------------------------------
# Model hyper-parameters (small on purpose: ~0.3 MB file, very fast on CPU)
N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 4
N_LAYER = 2
N_FF = 128
N_MERGES = 400
CONTEXT_LENGTH = 65536
DEFAULT_SEED = 20240611

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Single-token tool-call markers (USER_DEFINED, like Qwen2.5's added tokens):
# the model can emit "<tool_call>" in one step, after which llama-server's
# tool-call grammar forces a well-formed call.
USER_TOKENS = ["<tool_call>", "</tool_call>"]

# ChatML with Hermes-like tool calls (<tool_call>{"name": ..., "arguments": ...}</tool_call>,
# no newlines inside the markers),
# so llama-server's template analysis can build tool-call grammars/parsers.
CHAT_TEMPLATE = """\
{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}
{{- '# Tools\\n\\nYou may call functions. Signatures within <tools></tools>:\\n<tools>' }}
{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}
{{- '\\n</tools>\\n\\nFor each call return <tool_call>{"name": <function-name>, "arguments": <args-json-object>}</tool_call><|im_end|>\\n' }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' or (message.role == 'system' and not loop.first) or (message.role == 'assistant' and not message.tool_calls) %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant' }}
{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
{%- for tc in message.tool_calls %}
{%- if tc.function is defined %}{%- set tc = tc.function %}{%- endif %}
{{- '\\n<tool_call>{"name": "' + tc.name + '", "arguments": ' }}
{%- if tc.arguments is string %}{{- tc.arguments }}{%- else %}{{- tc.arguments | tojson }}{%- endif %}
{{- '}</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- elif message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""

# Built-in training text for the BPE merges (plain English, news/trend flavoured).
CORPUS = """
The summary of the trends in the market shows that the number of new projects
is growing. Developers are interested in tools that make their work faster and
more reliable. The most popular repositories this week are about language
models, data processing, testing and security. Many of them are written in
Python, Rust, TypeScript and Go. The community is discussing the release of new
versions, the performance of the servers, and the quality of the documentation.
There is a strong interest in open source projects that provide a simple
interface and a clear description of what they do. This report describes the
main topics, the key points and the items that were mentioned most often.
Each item has a title, a short description, a score and a list of tags.
Users want to know what changed, why it matters and what they should do next.
The title of the report is a short sentence. The items are sorted by score.
In the last days the interest in this topic has been increasing, and the
authors of these projects are working on the next release with new features,
better tests and an improved user experience for everyone.
"""

# Frequent English words; added (three times) to the corpus so that common
# words become single tokens (about 3 characters per token on English text).
COMMON_WORDS = """
the of and to in is that for it as was with be by on not he this are or his
from at which but have an they you were her she there been one all we their
has would when if so no will more can out other what about up into than some
them only its time new these two may first then do any like my now over such
our man me even most made after also did many before must through back years
where much your way well down should because each just those people how too
little state good very make world still own see men work long get here between
both life being under never day same another know while last might us great
old year off come since against go came right used take three states himself
few house use during without again place around however home small found
thought went say part once general high upon school every does got united left
number course war until always away something fact though water less public
put think almost hand enough far took head yet government system better set
told nothing night end why called didn find look going asked later knew point
next program city business give group toward young days let room president
side social given present several order national possible rather second face
per among form important often things looking early white case become large
need big four within felt along children saw best church ever least power
development light thing seemed family interest want members mind country area
others done turned although open problem report summary trend trends topic
topics item items title score source sources data model models language code
release version project projects repository repositories developer developers
python rust javascript typescript software open security performance library
""".split()

# ---------------------------------------------------------------------------
# Byte-level BPE


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character mapping."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("\u00a1"), ord("\u00ac") + 1))
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


# Rough equivalent of the gpt-2 pre-tokenizer regex (letters runs with an
# optional leading space, digit runs, punctuation runs, whitespace).
_PRETOK = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")


def train_bpe(text: str, n_merges: int) -> list[tuple[str, str]]:
    b2u = bytes_to_unicode()
    words = Counter(
        tuple(b2u[b] for b in piece.encode("utf-8")) for piece in _PRETOK.findall(text)
    )
    merges: list[tuple[str, str]] = []
    for _ in range(n_merges):
        pairs: Counter = Counter()
        for word, freq in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += freq
        if not pairs:
            break
        # deterministic: highest count, ties broken lexicographically
        best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(c) for c in kv[0][0] + " " + kv[0][1]]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        new_words: Counter = Counter()
        for word, freq in words.items():
            out = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_words[tuple(out)] += freq
        words = new_words
    return merges


def token_bias(token_bytes: bytes | None, special: str | None) -> float:
    """Logit bias for a token (applied through the constant embedding dim)."""
    if special is not None:
        return {"<|im_end|>": 5.0, "<tool_call>": 3.5, "</tool_call>": 3.5}.get(special, -8.0)
    assert token_bytes is not None
    if len(token_bytes) == 1:
        c = token_bytes[0]
        ch = chr(c)
        if ch == '"':
            return 5.0
        if ch in "{}[]":
            return 4.5
        if ch in ",:":
            return 1.0
        if ch.isalpha() and c < 128:
            return 3.0
        if ch == " ":
            return 2.5
        if ch.isdigit():
            return 2.0
        if ch in ".-_'!?()":
            return 1.5
        if ch in "\n\t\r":
            return -4.0
        if ch == "\\":
            return -6.0
        if c < 32 or c >= 127:
            return -8.0
        return 0.0
    # multi-byte merged pieces (letters with optional leading space)
    return 3.0


# ---------------------------------------------------------------------------


def default_cache() -> Path:
    env = os.environ.get("TRENDSUM_INTEROP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "trendsum-interop"


def build(out: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)

    b2u = bytes_to_unicode()
    u2b = {u: b for b, u in b2u.items()}
    merges = train_bpe(CORPUS + " ".join(COMMON_WORDS * 3), N_MERGES)

    tokens: list[str] = []
    toktypes: list[int] = []
    biases: list[float] = []
    for b in range(256):
        tokens.append(b2u[b])
        toktypes.append(gguf.TokenType.NORMAL)
        biases.append(token_bias(bytes([b]), None))
    seen = set(tokens)
    for a, b in merges:
        t = a + b
        if t in seen:
            continue
        seen.add(t)
        tokens.append(t)
        toktypes.append(gguf.TokenType.NORMAL)
        biases.append(token_bias(bytes(u2b[ch] for ch in t), None))
    special_ids = {}
    for s in SPECIAL_TOKENS:
        special_ids[s] = len(tokens)
        tokens.append(s)
        toktypes.append(gguf.TokenType.CONTROL)
        biases.append(token_bias(None, s))
    for s in USER_TOKENS:
        tokens.append(s)
        toktypes.append(gguf.TokenType.USER_DEFINED)
        biases.append(token_bias(None, s))
    n_vocab = len(tokens)

    # ---- weights ---------------------------------------------------------
    # Dimension 0 of the residual stream is a large constant C for every
    # token; the layers neither read it (norm weight 0) nor write it (row 0 of
    # the output projections is 0).  After the final RMS norm it is therefore
    # ~constant (x0 ~= sqrt(N_EMBD) because it dominates the RMS), and
    # output.weight[:, 0] acts as a per-token logit bias.  The other dims
    # carry small random, context-dependent noise (about +-0.8 logits).
    C, other_std = 8.0, 0.3
    emb = rng.normal(0.0, other_std, size=(n_vocab, N_EMBD)).astype(np.float32)
    emb[:, 0] = C
    x0 = C / np.sqrt((C * C + (N_EMBD - 1) * other_std**2) / N_EMBD)
    output = rng.normal(0.0, 0.15, size=(n_vocab, N_EMBD)).astype(np.float32)
    output[:, 0] = np.asarray(biases, dtype=np.float32) / x0

    def mat(rows: int, cols: int, std: float) -> np.ndarray:
        return rng.normal(0.0, std, size=(rows, cols)).astype(np.float32)

    layer_norm_w = np.full(N_EMBD, 2.0, dtype=np.float32)
    layer_norm_w[0] = 0.0  # layers do not see the bias dimension

    head_dim = N_EMBD // N_HEAD
    w = gguf.GGUFWriter(str(out), "llama")
    w.add_name("trendsum-tiny-llama")
    w.add_description("random-weight test model for trendsum interop tests (output is gibberish)")
    w.add_context_length(CONTEXT_LENGTH)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(toktypes)
    w.add_token_merges([f"{a} {b}" for a, b in merges])
    w.add_bos_token_id(special_ids["<|endoftext|>"])
    w.add_eos_token_id(special_ids["<|im_end|>"])
    w.add_pad_token_id(special_ids["<|endoftext|>"])
    w.add_add_bos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)

    f16 = np.float16
    w.add_tensor("token_embd.weight", emb.astype(f16))
    for i in range(N_LAYER):
        p = f"blk.{i}"
        w.add_tensor(f"{p}.attn_norm.weight", layer_norm_w)
        w.add_tensor(f"{p}.attn_q.weight", mat(N_EMBD, N_EMBD, 0.3).astype(f16))
        w.add_tensor(f"{p}.attn_k.weight", mat(N_HEAD_KV * head_dim, N_EMBD, 0.3).astype(f16))
        w.add_tensor(f"{p}.attn_v.weight", mat(N_HEAD_KV * head_dim, N_EMBD, 0.2).astype(f16))
        wo = mat(N_EMBD, N_EMBD, 0.03)
        wo[0, :] = 0.0  # keep the bias dimension untouched
        w.add_tensor(f"{p}.attn_output.weight", wo.astype(f16))
        w.add_tensor(f"{p}.ffn_norm.weight", layer_norm_w)
        w.add_tensor(f"{p}.ffn_gate.weight", mat(N_FF, N_EMBD, 0.15).astype(f16))
        w.add_tensor(f"{p}.ffn_up.weight", mat(N_FF, N_EMBD, 0.15).astype(f16))
        wd = mat(N_EMBD, N_FF, 0.03)
        wd[0, :] = 0.0
        w.add_tensor(f"{p}.ffn_down.weight", wd.astype(f16))
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    w.add_tensor("output.weight", output.astype(f16))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="output .gguf path")
    ap.add_argument("--force", action="store_true", help="rewrite even if the file exists")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)

    out = args.out or default_cache() / "tiny-llama.gguf"
    if out.exists() and out.stat().st_size > 0 and not args.force:
        print(f"[make_tiny_gguf] reusing {out}", file=sys.stderr)
        print(out)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    try:
        build(tmp, args.seed)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    print(f"[make_tiny_gguf] wrote {out} ({out.stat().st_size} bytes)", file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
