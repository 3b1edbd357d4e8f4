/**
 * Encoders turn images or captions into fixed-size feature vectors. They run inside worker
 * threads (piscina tasks), never on a main thread, and know nothing of the database.
 */

export type Modality = 'image' | 'text';

/** What identifies an encoder's output: two encoders with the same key give the same features. */
export interface EncoderInfo {
  /** registry id, e.g. "centernet-coco", "glove-100d", "bert", "onnx" */
  id: string;
  modality: Modality;
  /** hash of everything that changes the output: weights, config, vocabulary, preprocessing */
  version: string;
  /** length of each feature vector */
  dim: number;
  /** how inputs are prepared (image size, normalisation, max tokens…), recorded with runs */
  preprocessing: Record<string, unknown>;
  /** parameter count of the frozen encoder (0 when not meaningful) */
  parameters: number;
  /** compute backend it runs on, e.g. "tensorflow-wasm", "onnxruntime-cpu" */
  backend: string;
}

export interface ImageInput {
  /** absolute path of the image file */
  path: string;
}

export interface ImageEncodeOptions {
  flip?: boolean;
  onEncoded?: (done: number) => void;
}

export interface ImageEncoder extends EncoderInfo {
  modality: 'image';
  /**
   * One vector per image, in order. `flip` mirrors each image horizontally first; `onEncoded`
   * hears how many are done after each model batch (images are slow: progress in small steps).
   */
  encode(images: ImageInput[], options?: ImageEncodeOptions): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface TextEncoder extends EncoderInfo {
  modality: 'text';
  /** One vector per caption, in order. */
  encode(captions: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export type Encoder = ImageEncoder | TextEncoder;

/** Where an encoder's weights come from: a local folder, or a Hugging Face hub id when online. */
export interface EncoderSource {
  /** local folder holding the model files */
  path?: string;
  /** Hugging Face hub id (e.g. "google/bert_uncased_L-2_H-128_A-2"); needs network access */
  hubId?: string;
}
