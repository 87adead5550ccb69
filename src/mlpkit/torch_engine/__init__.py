"""The PyTorch engine: the same networks as ``nn.Module``s, trained with ``torch.optim``."""
