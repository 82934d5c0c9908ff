"""The OpenAI-compatible engine: OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp's server, LM Studio.

The only module that imports the `openai` SDK. The SDK retries transport failures (429 and 5xx with backoff,
honouring Retry-After; timeouts; dropped connections) up to `max_retries`; this module picks the structured-
output mode the endpoint understands, falls back when the endpoint says a mode is unsupported, and turns
every failure into an EngineError whose message never contains the API key (nor a control character).

Bodies are read here, not by the SDK: it hands an HTML page or an empty body over as a string and builds a
completion from any JSON, so an answer that is not a chat completion is named for what it is.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import openai

from ..domain import answers, grounding
from ..errors import ConfigError, ContextExceeded, EngineError, FatalEngineError
from ..prompts import Prompt
from .base import Check, EngineReply, GenerationRequest, ModeMemory, Secrets, strip_controls

if TYPE_CHECKING:
    from ..config import Settings

# Tried in this order by --mode auto; each endpoint's first working mode is remembered.
MODES = ("json_schema", "tools", "json_object", "json")

# What servers say when they do not support a request shape (OpenAI, vLLM, llama.cpp, llama-cpp-python,
# Ollama, LM Studio): a 400, 422 or 500 naming the feature, not a transient fault.
_UNSUPPORTED = re.compile(
    r"response_format|json_schema|json schema|tool_choice|\btools?\b|function[_ ]call|not supported|unsupported|"
    r"not implemented|does not support|doesn't support|must be 'text' or 'json_object'|unknown (?:field|parameter)|"
    r"extra (?:fields|inputs) (?:are )?not permitted|unrecognized",
    re.I,
)
_CONTEXT = re.compile(
    r"context (?:length|size|window)|maximum context|too many tokens|exceeds the available context|"
    r"prompt is too long|max_tokens? .*(?:too large|exceed)|reduce the length",
    re.I,
)
# How servers word the sizes in a context error, when the body has no n_ctx / n_prompt_tokens (llama.cpp's has).
_CONTEXT_SIZES = (
    re.compile(r"request \((?P<prompt>\d+) tokens\) exceeds the available context size \((?P<ctx>\d+) tokens"),
    re.compile(r"maximum context length is (?P<ctx>\d+) tokens.*?(?:resulted in|requested|has) (?P<prompt>\d+)", re.S),
    re.compile(r"Requested tokens \((?P<prompt>\d+)\) exceed context window of (?P<ctx>\d+)"),  # llama-cpp-python
)
# A piece of a case shorter than this is not worth a call: the server's context is too small for the prompt.
MIN_PIECE_CHARS = 800
# `doctor` warns when the context leaves less than this for a case and its answer after the instructions.
MIN_ROOM_TOKENS = 2048
# `doctor` probes each mode with a question whose whole answer is a few tokens: {"answer": "ok"}. A real
# summary would take minutes on a local model; the size of a real request is measured with max_tokens=1.
PROBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["ok"]}},
    "required": ["answer"],
}
PROBE_MESSAGES = [
    {"role": "system", "content": "You check that an API works. Reply with JSON only."},
    {"role": "user", "content": 'Reply with this JSON object and nothing else: {"answer": "ok"}'},
]
PROBE_MAX_TOKENS = 32
# `doctor` asks which evidence style the model gets right, in the mode a run would use: a three-sentence case, and
# the sentence that says what happened to waiting times, cited by its number (summarise-v2) or copied (v1).
EVIDENCE_CASE = ("[1] Probe Council runs the libraries of a small town.\n"
                 "[2] In 2023 it moved library card applications online.\n"
                 "[3] Waiting times for a card fell from ten days to two.")  # fmt: skip
EVIDENCE_ANSWER_ID, EVIDENCE_ANSWER_TEXT = 3, "Waiting times for a card fell from ten days to two."
EVIDENCE_PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "sentences": (
        'Which sentence says what happened to waiting times? Reply with this JSON object and nothing else: '
        '{"evidence": [its number]}',
        {"type": "object", "required": ["evidence"],
         "properties": {"evidence": {"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}}}},
    ),
    "quotes": (
        'Copy, character for character, the sentence that says what happened to waiting times. Reply with this '
        'JSON object and nothing else: {"quote": "the sentence"}',
        {"type": "object", "required": ["quote"], "properties": {"quote": {"type": "string"}}},
    ),
}  # fmt: skip
EVIDENCE_MAX_TOKENS = 64


def display_url(url: str) -> str:
    """The endpoint as it may be shown or stored: any user:password in the URL is removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        mode: str = "auto",
        timeout: float = 120.0,
        max_retries: int = 4,
        max_output_tokens: int = 4096,
        memory: ModeMemory | None = None,
    ) -> None:
        if not api_key and not base_url:
            raise ConfigError(
                "No API key: set OPENAI_API_KEY (or name another variable with --api-key-env), give --base-url "
                "for a local server, or use --engine offline."
            )
        self.model = model
        self.secrets = Secrets(api_key)
        self._timeout = timeout
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "no-key-needed",  # local servers ignore it, the SDK insists on one
            base_url=base_url,  # None: the SDK's own default endpoint
            timeout=timeout,
            max_retries=max_retries,
        )
        self.endpoint = display_url(str(self._client.base_url).rstrip("/"))
        self._max_output_tokens = max_output_tokens
        self._strict_cache: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._memory = memory
        self._fixed = mode != "auto"
        remembered = memory.endpoint_mode(self.endpoint, model) if memory and not self._fixed else None
        self.mode = mode if self._fixed else (remembered or MODES[0])
        self._mode_confirmed = self._fixed or remembered is not None
        # Learned from the first "context exceeded" answer: the longest case text (in characters) whose prompt
        # fits the endpoint's context with room for the answer. The pipeline splits longer cases to this.

    @classmethod
    def from_settings(cls, settings: Settings, memory: ModeMemory | None = None) -> OpenAIEngine:
        return cls(
            settings.model,
            base_url=settings.base_url,
            api_key=settings.api_key,
            mode=settings.mode,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            max_output_tokens=settings.max_output_tokens,
            memory=memory,
        )

    def prompt_identity(self, prompt: Prompt) -> tuple[str, str]:
        return prompt.name, prompt.sha256

    async def aclose(self) -> None:
        await self._client.close()

    async def generate(self, request: GenerationRequest) -> EngineReply:
        while True:
            mode = self.mode
            try:
                reply = await self._call(mode, messages_for(mode, request), request.schema, request.schema_name)
            except openai.APIStatusError as exc:
                if self._unsupported(exc) and self._fall_back_from(mode):
                    continue
                if _CONTEXT.search(_error_text(exc)):  # says nothing about the mode: never a reason to fall back
                    raise self._context_exceeded(exc, request) from None
                raise self._translate(exc) from None
            except openai.APIError as exc:
                raise self._translate(exc) from None
            if not self._mode_confirmed:
                if mode == "tools" and not reply.extra.get("tool_called"):
                    if reply.refusal or reply.finish_reason == "length":
                        return reply  # says nothing about tool calls either way: the next answer will tell
                    if self._fall_back_from(mode):
                        continue  # the server took the tools but ignored the forced tool_choice
                self._confirm(mode)
            return reply

    # -- one request per mode -------------------------------------------------------------------------------

    async def _call(
        self, mode: str, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
        max_tokens: int | None = None,
    ) -> EngineReply:  # fmt: skip
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages,
                                  "max_tokens": max_tokens or self._max_output_tokens}  # fmt: skip
        strict = self._strict(schema)
        if mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": strict},
            }
        elif mode == "tools":
            kwargs["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": "Record the structured summary of the case study.",
                        "parameters": strict,
                    },
                }
            ]
            kwargs["tool_choice"] = {"type": "function", "function": {"name": name}}
        elif mode == "json_object":
            # OpenAI ignores nothing here: servers that take a schema with json_object (llama-cpp-python)
            # constrain to it; the schema is in the prompt as well for those that do not.
            kwargs["response_format"] = {"type": "json_object", "schema": strict}
        # The schema-bearing fields go through extra_body: the JSON sent is the same, but the SDK no longer walks
        # the whole schema to "transform" it on every request, which cost a third of our CPU per case.
        extra = {key: kwargs.pop(key) for key in ("response_format", "tools", "tool_choice") if key in kwargs}
        raw = await self._client.chat.completions.with_raw_response.create(**kwargs, extra_body=extra or None)
        return self._reply(mode, self._json_body(raw.http_response, "a chat completion"))

    def _reply(self, mode: str, data: Any) -> EngineReply:
        """The answer in a chat completion, as it came: the pipeline cleans and validates it."""
        choices = data.get("choices") if isinstance(data, dict) else None
        choice = choices[0] if isinstance(choices, list) and choices else None
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            problem = data.get("error") if isinstance(data, dict) else None
            said = f": {self._redact(json.dumps(problem, default=str))[:300]}" if problem else ""
            raise EngineError(f"{self._where()} returned no choices{said}")
        text = message.get("content")
        tool_calls = message.get("tool_calls") if isinstance(message.get("tool_calls"), list) else []
        if mode == "tools" and tool_calls:
            call = tool_calls[0] if isinstance(tool_calls[0], dict) else {}
            function = call.get("function") if isinstance(call.get("function"), dict) else {}
            text = function.get("arguments")
            if isinstance(text, dict | list):  # a few servers send the arguments decoded
                text = json.dumps(text)
        if text is not None and not isinstance(text, str):
            raise EngineError(f"{self._where()} returned a completion whose answer is not text")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        refusal, finish_reason = message.get("refusal"), choice.get("finish_reason")  # type: ignore[union-attr]
        return EngineReply(
            text=text,
            refusal=refusal if isinstance(refusal, str) and refusal else None,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=_count(usage.get("completion_tokens")),
            mode=mode,
            extra={"tool_called": bool(tool_calls)} if mode == "tools" else {},
            secrets=self.secrets,
        )

    def _json_body(self, http: Any, what: str) -> Any:
        """A successful answer's JSON, or an EngineError naming what came instead of `what`."""
        where = f"{self._where()} answered {http.status_code}"
        body = http.text
        if not body.strip():
            raise EngineError(f"{where} with an empty body instead of {what}")
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            if body.lstrip()[:1] == "<" or "html" in http.headers.get("content-type", "").lower():
                raise EngineError(f"{where} with a web page instead of {what}: check --base-url (an "
                                  "OpenAI-compatible server's address usually ends in /v1)") from None  # fmt: skip
            raise EngineError(f"{where} with malformed JSON instead of {what} ({exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno})") from None  # fmt: skip
        except (ValueError, RecursionError):
            raise EngineError(f"{where} with JSON that cannot be read instead of {what}") from None

    def _where(self) -> str:
        return f"{self.endpoint} (model {self.model})"

    def _strict(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The strict form of a schema, computed once per schema rather than once per request."""
        key = id(schema)
        cached = self._strict_cache.get(key)
        if cached is None or cached[0] is not schema:
            cached = self._strict_cache[key] = (schema, strict_schema(schema))
        return cached[1]

    # -- falling back and remembering -----------------------------------------------------------------------

    def _unsupported(self, exc: openai.APIStatusError) -> bool:
        if self._fixed or exc.status_code not in (400, 404, 415, 422, 500, 501):
            return False
        text = _error_text(exc)
        return bool(_UNSUPPORTED.search(text)) and not _CONTEXT.search(text)

    def _fall_back_from(self, mode: str) -> bool:
        """Move to the next mode (once, however many requests saw the same refusal at the same time)."""
        if self.mode != mode:
            return True  # another request already moved on
        position = MODES.index(mode)
        if position + 1 >= len(MODES):
            return False
        self.mode = MODES[position + 1]
        return True

    @staticmethod
    def _ignored_tool_choice(mode: str, reply: EngineReply) -> bool:
        """A tools-mode answer without the forced tool call: the server took `tools` but not `tool_choice`
        (llama.cpp's server treats a named tool_choice as "auto"), so the mode does not work there."""
        if mode != "tools" or reply.refusal or reply.finish_reason == "length":
            return False
        return not reply.extra.get("tool_called")

    def _confirm(self, mode: str) -> None:
        self._mode_confirmed = True
        if self._memory is not None:
            self._memory.remember_mode(self.endpoint, self.model, mode)

    # -- errors ------------------------------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        """A server's words as they may be shown or stored: no secret, no terminal escape sequence."""
        return strip_controls(self.secrets.redact(text))

    def _context_exceeded(self, exc: openai.APIStatusError, request: GenerationRequest) -> ContextExceeded:
        context_tokens, prompt_tokens = _context_sizes(exc)
        fits = None
        if context_tokens and prompt_tokens:
            fits = _case_chars_that_fit(request, context_tokens, prompt_tokens, self._max_output_tokens)
        where = f"{self.model} at {self.endpoint}"
        if context_tokens and prompt_tokens:
            sizes = f"the request has {prompt_tokens} tokens, the server takes {context_tokens} per request"
        else:
            sizes = self._redact(_error_text(exc))[:200]
        advice = (
            "lower --max-input-tokens so long cases are split"
            if fits is not None
            else "the instructions and schema alone leave no room for the case and the answer"
        )
        return ContextExceeded(
            f"the case study is too long for the context of {where} ({exc.status_code}): {sizes}. Start the "
            f"server with a larger context (llama.cpp: -c, shared by its --parallel slots; Ollama: "
            f"OLLAMA_CONTEXT_LENGTH; vLLM: --max-model-len; LM Studio: the model's context length), or {advice}.",
            context_tokens=context_tokens,
            prompt_tokens=prompt_tokens,
            case_chars_that_fit=fits,
        )

    def _translate(self, exc: openai.APIError) -> EngineError:
        where = f"{self.endpoint} (model {self.model})"
        detail = self._redact(_error_text(exc))[:300]
        if isinstance(exc, openai.APITimeoutError):
            return EngineError(f"timed out waiting for {where}: raise --timeout or lower --concurrency")
        if isinstance(exc, openai.APIConnectionError):
            return FatalEngineError(f"cannot reach {self.endpoint}: is the server running? ({detail})")
        if isinstance(exc, openai.AuthenticationError):
            return FatalEngineError(f"{where} rejected the API key (401): check the key in the environment")
        if isinstance(exc, openai.PermissionDeniedError):
            return FatalEngineError(f"{where} refused access (403): {detail}")
        if isinstance(exc, openai.NotFoundError):
            return FatalEngineError(f"{where}: not found (404); check --model and --base-url. {detail}")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if _CONTEXT.search(detail):
                return EngineError(f"the case study is too long for the model's context ({status}): {detail}")
            if status == 429:
                return EngineError(f"rate limited (429) by {where} after retries: {detail}")
            return EngineError(f"{where} answered {status}: {detail}")
        return EngineError(f"{where}: {detail}")

    # -- doctor ------------------------------------------------------------------------------------------------

    async def diagnose(self, probe: Callable[[], GenerationRequest]) -> list[Check]:
        """Reachability, the model's presence, which structured-output modes the endpoint accepts, and
        whether its context leaves room for a case once the instructions and schema are in.

        Quick against any server: each mode gets a question answered in a few tokens, and the size of a real
        request (`probe`) is measured once with max_tokens=1. After a call times out the rest is not tried,
        so a server that never answers costs one timeout, not one per check."""
        checks: list[Check] = []
        try:
            models = await self._models()
        except (openai.APIError, EngineError) as exc:
            checks.append(Check("reachable", False, self._doctor_failure(exc)))
            return checks
        checks.append(Check("reachable", True, f"{self.endpoint} answered; {len(models)} model(s) listed"))
        names = [m["id"] for m in models]
        listed = self.model in names
        shown = ", ".join(strip_controls(n) for n in names[:8]) or "the list"
        checks.append(Check("model", listed, "listed" if listed else f"{self.model!r} not in {shown}"))
        working: list[str] = []
        stalled = ""
        for mode in MODES:
            if stalled:
                checks.append(Check(f"mode {mode}", False, f"not tried: {stalled}"))
                continue
            try:
                reply = await self._call(mode, PROBE_MESSAGES, PROBE_SCHEMA, "probe", max_tokens=PROBE_MAX_TOKENS)
            except (openai.APIError, EngineError) as exc:
                stalled = "the previous call timed out" if isinstance(exc, openai.APITimeoutError) else ""
                checks.append(Check(f"mode {mode}", False, self._doctor_failure(exc)))
                continue
            ok, detail = _probe_verdict(mode, reply)
            checks.append(Check(f"mode {mode}", ok, detail))
            if ok:
                working.append(mode)
        if working and self._memory is not None:
            self._memory.remember_mode(self.endpoint, self.model, working[0])
        if working:  # measured in the mode a run would use: tools put the schema in the prompt, others do not
            window = _advertised_context(next((m for m in models if m["id"] == self.model), None))
            checks.append(await self._context_check(working[0], probe(), window))
            for style in EVIDENCE_PROBES:
                checks.append(await self._evidence_check(working[0], style))
        return checks

    async def _evidence_check(self, mode: str, style: str) -> Check:
        """Does the model point at the right sentence in `style`: by its number, or by copying it exactly?"""
        question, schema = EVIDENCE_PROBES[style]
        messages = [{"role": "system", "content": "You answer questions about a short text. Reply with JSON only."},
                    {"role": "user", "content": f"{EVIDENCE_CASE}\n\n{question}"}]  # fmt: skip
        try:
            reply = await self._call(mode, messages, schema, "evidence", max_tokens=EVIDENCE_MAX_TOKENS)
        except (openai.APIError, EngineError) as exc:
            return Check(f"evidence {style}", False, f"not measured: {self._doctor_failure(exc)}")
        try:
            answer = json.loads(reply.text or "")
        except (ValueError, RecursionError):
            return Check(f"evidence {style}", False, "answered, but not with valid JSON")
        if style == "sentences":
            cited = answer.get("evidence") if isinstance(answer, dict) else None
            ok = cited == [EVIDENCE_ANSWER_ID]
            detail = f"cited {strip_controls(json.dumps(cited))[:40]}"
        else:
            quote = answer.get("quote") if isinstance(answer, dict) else None
            ok = isinstance(quote, str) and grounding.normalise(EVIDENCE_ANSWER_TEXT) in grounding.normalise(quote)
            detail = f"copied {strip_controls(json.dumps(quote, ensure_ascii=False))[:70]}"
        verdict = "the right sentence" if ok else f"not the sentence asked for ({EVIDENCE_ANSWER_TEXT!r})"
        return Check(f"evidence {style}", ok, f"{detail}: {verdict}")

    async def _models(self) -> list[dict[str, Any]]:
        raw = await self._client.models.with_raw_response.list()
        data = self._json_body(raw.http_response, "a model list")
        listed = data.get("data") if isinstance(data, dict) else None
        if not isinstance(listed, list):
            raise EngineError(f"{self.endpoint} answered JSON that is not a model list: check --base-url")
        return [m for m in listed if isinstance(m, dict) and isinstance(m.get("id"), str)]

    async def _context_check(self, mode: str, request: GenerationRequest, window: int | None) -> Check:
        """How many tokens a real request's instructions and schema take, from one call with max_tokens=1."""
        try:
            reply = await self._call(mode, messages_for(mode, request), request.schema, request.schema_name,
                                     max_tokens=1)
        except openai.APIStatusError as exc:
            context_tokens, prompt_tokens = _context_sizes(exc)
            if context_tokens and prompt_tokens:
                return Check("context", False, f"{context_tokens} tokens per request, but the instructions and "
                             f"schema alone take {prompt_tokens}: start the server with a larger context")  # fmt: skip
            return Check("context", False, f"not measured: {self._doctor_failure(exc)}")
        except (openai.APIError, EngineError) as exc:
            return Check("context", False, f"not measured: {self._doctor_failure(exc)}")
        used = reply.prompt_tokens
        if not used:
            return Check("context", True, "not measured: the server does not report token counts")
        if not window:
            return Check("context", True, f"the instructions and schema take {used} tokens")
        room = window - used
        advice = "" if room >= MIN_ROOM_TOKENS else ": start the server with a larger context"
        return Check("context", room >= MIN_ROOM_TOKENS, f"{window} tokens per request; the instructions and schema "
                     f"take {used}, leaving {room} for a case and its answer{advice}")  # fmt: skip

    def _doctor_failure(self, exc: openai.APIError | EngineError) -> str:
        if isinstance(exc, openai.APITimeoutError):
            return (f"no answer from {self.endpoint} within {self._timeout:g} s: is it busy or still loading the "
                    "model? (raise --timeout)")  # fmt: skip
        return str(self._translate(exc)) if isinstance(exc, openai.APIError) else str(exc)


def _probe_verdict(mode: str, reply: EngineReply) -> tuple[bool, str]:
    """Whether a mode probe's answer is what a run would need: JSON, and in tools mode the forced tool call."""
    if OpenAIEngine._ignored_tool_choice(mode, reply):
        return False, "answered without the tool call (tool_choice ignored)"
    try:
        answer = json.loads(reply.text or "")
    except (ValueError, RecursionError):
        if reply.finish_reason == "length":
            return False, f"answered, but was cut off at {PROBE_MAX_TOKENS} tokens before the JSON closed"
        return False, "answered, but not with valid JSON"
    if not isinstance(answer, dict):
        return False, "answered, but not with a JSON object"
    return True, "answered with JSON"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _advertised_context(model: dict[str, Any] | None) -> int | None:
    """The context per request as /models tells it: llama.cpp's meta.n_ctx, vLLM's max_model_len."""
    model = model or {}
    meta = model.get("meta")
    candidates = [meta.get("n_ctx") if isinstance(meta, dict) else None, model.get("max_model_len")]
    return next((value for value in candidates if isinstance(value, int) and value > 0), None)


def _context_sizes(exc: openai.APIStatusError) -> tuple[int | None, int | None]:
    """(context window, prompt tokens) as the server reported them, or None for what it did not say."""
    body = exc.body if isinstance(exc.body, dict) else {}
    body = body.get("error", body) if isinstance(body.get("error"), dict) else body
    context, prompt = body.get("n_ctx"), body.get("n_prompt_tokens")
    if isinstance(context, int) and isinstance(prompt, int):
        return context, prompt
    text = _error_text(exc)
    for pattern in _CONTEXT_SIZES:
        match = pattern.search(text)
        if match:
            return int(match["ctx"]), int(match["prompt"])
    return None, None


def _case_chars_that_fit(request: GenerationRequest, context_tokens: int, prompt_tokens: int,
                         max_output_tokens: int) -> int | None:  # fmt: skip
    """How many characters of the case would fit, judged by this request's tokens per character.

    Room is left for the answer (and for a re-ask, which carries the earlier answer): a quarter of the
    context, or max_tokens if smaller. None when even a short piece would not fit.
    """
    prompt_chars = sum(len(m.get("content") or "") for m in request.messages)
    if not prompt_chars:
        return None
    chars_per_token = prompt_chars / prompt_tokens
    room = context_tokens - min(max_output_tokens, context_tokens // 4)
    fits = int(room * chars_per_token * 0.9) - (prompt_chars - len(request.case.text))
    return fits if fits >= MIN_PIECE_CHARS else None


def _error_text(exc: openai.APIError) -> str:
    body = getattr(exc, "body", None)
    text = exc.message or ""
    if body is not None and not isinstance(body, str):
        text += " " + json.dumps(body, default=str)
    elif isinstance(body, str):
        text += " " + body
    return text


# The modes whose request carries the schema as a constraint the server enforces: a prompt need not repeat it.
SCHEMA_CARRYING_MODES = ("json_schema", "tools")


def messages_for(mode: str, request: GenerationRequest) -> list[dict[str, str]]:
    """The request's messages as `mode` sends them: a prompt that leaves the schema to the response format gets
    it appended to its first user message in a mode that cannot carry it (json_object may be ignored)."""
    if request.prompt_has_schema or mode in SCHEMA_CARRYING_MODES:
        return request.messages
    messages = [dict(message) for message in request.messages]
    first = next(m for m in messages if m["role"] == "user")
    first["content"] += f"\n\nReply with JSON matching this schema:\n{answers.schema_text(request.schema)}"
    return messages


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as strict structured outputs accept it: every property required, no extra properties, and no
    numeric or length bounds (the pipeline's validator enforces those and re-asks with the errors) but a list's
    `minItems` and `maxItems`, which OpenAI's structured outputs and llama.cpp's grammars enforce. Without them a
    grammar lets a point cite no sentence at all, or list ids until the tokens run out, which is what a small
    model then does (SmolLM2 did both)."""
    strict = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("minimum", "maximum", "minLength", "maxLength", "default", "title"):
                if key in node and not isinstance(node[key], dict):
                    node.pop(key)
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(strict)
    return strict
