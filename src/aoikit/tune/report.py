"""What a tuning stage writes: the best parameters per model (the LED study's Table 1) and the search plots."""

import warnings
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from aoikit.tune.study import MODEL_ATTR, completed

COLUMNS = {
    "w_con": "w_con",
    "w_enc": "w_enc",
    "w_adv": "w_adv",
    "latent_dim": "latent",
    "image_size": "size",
    "window": "SSIM window",
    "lam": "λ",
}
"""Table 1's parameter columns: parameter name to heading."""
MIN_IMPORTANCE_TRIALS = 2


def best_per_model(storage: optuna.storages.BaseStorage) -> dict[str, tuple[str, FrozenTrial]]:
    """Each tuned model's best completed trial among all studies in ``storage``, with its study's name."""
    best: dict[str, tuple[str, FrozenTrial]] = {}
    for name in optuna.get_all_study_names(storage=storage):
        model = optuna.load_study(study_name=name, storage=storage).user_attrs.get(MODEL_ATTR)
        if not isinstance(model, str):
            continue
        for trial in completed(storage, name):
            if model not in best or (best[model][1].value or 0.0) < (trial.value or 0.0):
                best[model] = (name, trial)
    return best


def table1(storage: optuna.storages.BaseStorage) -> str:
    """Markdown table: model, study, validation image AUROC and the tuned parameters of its best trial."""
    head = ["model", "study", "validation image AUROC", *COLUMNS.values()]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for model, (study, trial) in sorted(best_per_model(storage).items()):
        values = [f"{trial.params[name]:g}" if name in trial.params else "" for name in COLUMNS]
        lines.append("| " + " | ".join([model, study, f"{trial.value:.4f}", *values]) + " |")
    return "\n".join(lines) + "\n"


def save_plots(study: optuna.Study, out: Path) -> list[str]:
    """Write ``<study>-history.png`` and ``<study>-importance.png`` into ``out``; return a note for each plot left
    out (importance needs two completed trials)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure
    from optuna.visualization import matplotlib as plots

    out.mkdir(parents=True, exist_ok=True)
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        figures = {"history": plots.plot_optimization_history(study).get_figure(root=True)}
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        if done >= MIN_IMPORTANCE_TRIALS:
            figures["importance"] = plots.plot_param_importances(study).get_figure(root=True)
        else:
            notes.append(f"no parameter importance plot: {done} completed trial(s), it needs 2")
    for kind, figure in figures.items():
        assert isinstance(figure, Figure)
        figure.savefig(out / f"{study.study_name}-{kind}.png", dpi=100, bbox_inches="tight")
        plt.close(figure)
    return notes
