"""torch.linalg's names: vector and matrix norms, and the products that live there too."""
from __future__ import annotations

from .ops.linalg import vector_norm, matrix_norm, norm, matmul, tensordot

__all__ = ["vector_norm", "matrix_norm", "norm", "matmul", "tensordot"]
