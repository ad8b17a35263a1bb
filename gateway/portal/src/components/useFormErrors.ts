// useFormErrors keeps a form's refusal: the API's field errors by field path (shown beside the input whose
// el-form-item has that path as its `error`), and what belongs to no input (rule explanations, fields the
// form does not show) above the form.
import { reactive, ref } from 'vue'
import { ApiError, formErrors, titleOf } from '../api/errors'

export function useFormErrors(fields: readonly string[]) {
  const byField = reactive<Record<string, string>>({})
  const general = ref<string[]>([])
  const title = ref('')

  function clear() {
    for (const k of Object.keys(byField)) delete byField[k]
    general.value = []
    title.value = ''
  }

  /** apply shows an error; anything that is not an API refusal is shown above the form. */
  function apply(err: unknown) {
    clear()
    if (err instanceof ApiError) {
      const f = formErrors(err, fields)
      Object.assign(byField, f.fields)
      general.value = f.general
      title.value = titleOf(err)
    } else {
      title.value = '操作失败'
      general.value = [err instanceof Error ? err.message : String(err)]
    }
  }

  return { byField, general, title, clear, apply }
}
