# SoftHebb attack-hyperparameter sweeps (PGD iterations and step size): sh_fig9a, sh_fig9b, sh_fig9c.
