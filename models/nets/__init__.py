"""Networks only (no losses, no optimisers). Each splits `forward_features` (the last feature
maps or tokens, what explanations read) from `forward_head` (pooling and the output layer)."""
