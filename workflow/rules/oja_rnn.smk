# Oja's rule: compute rules of the RNN on delayed MNIST (oja_fig7).
