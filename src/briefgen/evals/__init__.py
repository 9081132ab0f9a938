"""The eval suite: YAML cases with gold facts, metrics, a runner and reports."""

from .dataset import EvalCase, load_cases
from .runner import SuiteResult, run_suite

__all__ = ["EvalCase", "SuiteResult", "load_cases", "run_suite"]
