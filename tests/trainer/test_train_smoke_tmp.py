from querywright.trainer.train import run_training
from querywright.trainer.train_config import load_config

def test_smoke(tiny_llama, pairs_file, tmp_path):
    cfg = load_config(None, {"base": str(tiny_llama), "data": str(pairs_file), "out": str(tmp_path/"out"),
                             "max_steps": 3, "batch_size": 2, "backend": "hf-lora", "progress": "json", "save_steps": 2})
    r = run_training(cfg)
    print(r)
    import os; print(os.listdir(tmp_path/"out"), os.listdir(tmp_path))
