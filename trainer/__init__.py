"""The trainer: harvest, dataset, train, eval, export, finetune."""
