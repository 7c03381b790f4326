"""What Grid Engine runs on execution hosts. Standard library only, Python 3.9+."""
