"""Language-model backends behind one interface (`ChatModel.complete`)."""

from .base import ALLOW_MODEL_REQUESTS, ChatModel, Completion, Message

__all__ = ["ALLOW_MODEL_REQUESTS", "ChatModel", "Completion", "Message"]
