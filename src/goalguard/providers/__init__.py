"""Model providers registered with Inspect: ``llamacpp/<model>`` (in-process llama.cpp)."""

from inspect_ai.model import ModelAPI, modelapi


@modelapi(name="llamacpp")
def llamacpp() -> type[ModelAPI]:
    from goalguard.providers.llamacpp import LlamaCppAPI

    return LlamaCppAPI
