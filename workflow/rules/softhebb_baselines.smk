# SoftHebb unsupervised baselines (K-means, PCA, SoftHebb K=100): sh_fig6a, sh_fig6b.
