"""One module per embedding backend, behind `indexer.embedding.Embedder`; pick one with
`indexer.embedding.load_embedder`.

  fake.py             FakeEmbedder: deterministic bag-of-words hashing, for tests
  model_folder.py     ModelFolderEmbedder: what every real model shares (folder, tokenizer,
                      precision, loading the model once on first use)
  token_pooling.py    TokenPoolingEmbedder: runs a (token ids, mask) → hidden states module,
                      traced, and pools passages and their sentences from one forward pass
  bert.py             BertEmbedder: plain BERT in torch alone (bert_module.py holds the model)
  hf_transformers.py  TransformersEmbedder: another architecture through transformers' AutoModel
  sbert.py            SentenceTransformersEmbedder: any other model, sentence-transformers' encode
"""
