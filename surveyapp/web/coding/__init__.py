"""The coding workspace: evaluators turn clusters of open answers into codes and count them.

One blueprint, ``coding``, whose views live in one module per page of the workspace.
"""

from surveyapp.web.coding import agreement, answers, clustering, codebook, frequency  # noqa: F401
from surveyapp.web.coding.common import bp

__all__ = ["bp"]
